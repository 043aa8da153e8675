"""No import cycles in api/ and models/: between modules, and between the domains
(tenancy <- usage <- inbox, all on core). Every import statement counts, wherever it
stands: one inside a function or under TYPE_CHECKING is the usual way to hide a cycle.
And the services stand on no strawberry, not even through what they import."""

import ast
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("api", "models")

Graph = dict[str, set[str]]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def our_modules() -> dict[str, Path]:
    return {
        module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
    }


def imported_names(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    """What an import statement names: modules, or attributes of a module."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base_parts = package[: len(package) - node.level + 1] if node.level else []
    base = ".".join([*base_parts, *([node.module] if node.module else [])])
    return [f"{base}.{alias.name}" for alias in node.names]


def nearest_module(name: str, modules: dict[str, Path]) -> str | None:
    """The module of ours a dotted name is, or is inside (`api.core.errors.BadInput` is in
    `api.core.errors`); None for an outside package."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> Graph:
    modules = our_modules()
    graph: Graph = {}
    for module, path in modules.items():
        imports = graph.setdefault(module, set())
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for name in imported_names(module, path, node):
                    target = nearest_module(name, modules)
                    if target is not None and target != module:
                        imports.add(target)
    return graph


def grouped(graph: Graph, group_of: Callable[[str], str]) -> Graph:
    """The graph between groups of modules (edges inside a group dropped)."""
    groups: Graph = {}
    for module, imports in graph.items():
        targets = groups.setdefault(group_of(module), set())
        targets |= {group_of(target) for target in imports} - {group_of(module)}
    return groups


def cycles(graph: Graph) -> Iterator[list[str]]:
    """One cycle through each back edge a depth-first walk meets."""
    path: list[str] = []
    state: dict[str, str] = {}  # "open" while on the path, then "done"

    def visit(node: str) -> Iterator[list[str]]:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                yield [*path[path.index(target) :], target]
            elif target not in state:
                yield from visit(target)
        path.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            yield from visit(node)


def domain_of(module: str) -> str:
    """`api.<domain>` for a module of a domain package (core included), else the module."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "api" and len(parts) > 2 else module


def test_no_module_of_api_or_models_imports_itself_round_a_cycle() -> None:
    # when every import between our modules is followed
    found = [" -> ".join(cycle) for cycle in cycles(import_graph())]
    # then none leads back to where it started
    assert found == []


def test_the_domains_stand_on_one_another_one_way() -> None:
    # when imports are grouped by domain package (api.core, api.inbox, api.usage, …)
    domains = grouped(import_graph(), domain_of)
    # then the domains form no cycle: the inbox stands on usage, usage on tenancy, all on core
    assert [" -> ".join(cycle) for cycle in cycles(domains)] == []
    assert {"api.usage", "api.tenancy", "api.core"} <= domains["api.inbox"]
    assert "api.inbox" not in domains["api.usage"] | domains["api.tenancy"] | domains["api.core"]


def test_the_cycle_finder_finds_a_cycle() -> None:
    # given a graph with a cycle a -> b -> c -> a, and a tail d -> a
    graph: Graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    # then it is reported
    assert list(cycles(graph)) == [["a", "b", "c", "a"]]


SERVICE_MODULES = sorted(
    name
    for name in our_modules()
    if name.startswith(("api.tenancy.", "api.inbox.", "api.usage."))
    and name.rsplit(".", 1)[1]
    not in ("types", "payloads", "analytics_types", "queries", "mutations", "subscriptions")
    and not name.endswith("loaders")
)


def test_services_never_import_strawberry_even_through_what_they_import() -> None:
    # given every service module of the domains (all but types, payloads, resolvers and
    # loaders), when each is imported alone in a fresh interpreter, then strawberry is not
    script = (
        "import importlib, sys\n"
        f"for name in {SERVICE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "    assert 'strawberry' not in sys.modules, name\n"
    )
    assert "api.usage.recording" in SERVICE_MODULES and "api.inbox.service" in SERVICE_MODULES
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
