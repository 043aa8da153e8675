"""What Parley uses of broadcaster is there: the exact pinned release, every name imported
from it (private modules included), and the private hooks ParleyBroadcast builds on. An
upgrade that renames or moves any of them fails here, not in production."""

import ast
import importlib
import tomllib
from importlib.metadata import version
from pathlib import Path

from broadcaster import Broadcast

from api.core.broadcast import MemoryBackend, ParleyBroadcast

REPO = Path(__file__).resolve().parents[2]


def broadcaster_requirement() -> str:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    (requirement,) = [
        r for r in pyproject["project"]["dependencies"] if r.startswith("broadcaster")
    ]
    return requirement


def broadcaster_imports() -> set[tuple[str, str]]:
    """(module, name) of every `from broadcaster… import name` in the code and the tests."""
    found = set()
    for path in [*(REPO / "api").rglob("*.py"), *(REPO / "tests").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("broadcaster"):
                found |= {(node.module or "", alias.name) for alias in node.names}
    return found


def test_broadcaster_is_pinned_to_the_installed_release() -> None:
    # given the requirement in pyproject.toml, then it is one exact release, the one installed
    requirement = broadcaster_requirement()
    assert requirement.startswith("broadcaster=="), requirement
    pinned = requirement.removeprefix("broadcaster==")
    assert version("broadcaster") == pinned
    lock = (REPO / "requirements.lock").read_text().splitlines()
    assert f"broadcaster=={pinned}" in lock


def test_every_name_imported_from_broadcaster_exists() -> None:
    # given every import from broadcaster, private modules included
    imports = broadcaster_imports()
    assert ("broadcaster._backends.memory", "MemoryBackend") in imports  # the walk sees them
    # then each module imports and has the name
    missing = [
        f"{module}.{name}"
        for module, name in sorted(imports)
        if not hasattr(importlib.import_module(module), name)
    ]
    assert missing == []


def test_broadcast_keeps_the_private_hooks_parley_broadcast_overrides() -> None:
    # given broadcaster's Broadcast, then its constructor builds the backend through
    # `_create_backend` and keeps it in `_backend`, as ParleyBroadcast expects
    created = []

    class Probe(Broadcast):
        def _create_backend(self, url: str) -> MemoryBackend:
            created.append(url)
            return MemoryBackend(url)

    probe = Probe("memory://")
    assert created == ["memory://"] and isinstance(probe._backend, MemoryBackend)
    backend = MemoryBackend("memory://")
    assert ParleyBroadcast(backend=backend)._backend is backend
    # and ParleyBroadcast overrides every public method it serves
    overridden = ("connect", "disconnect", "publish", "subscribe", "__aenter__")
    assert all(name in ParleyBroadcast.__dict__ for name in overridden)
