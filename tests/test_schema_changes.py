"""Breaking changes of schema.graphql need a CHANGELOG.md entry.

`@graphql-inspector/cli diff` compares the schema with its previous version: the committed one
when the working copy changed it, otherwise the one before the commit that last changed it (a
merge compares with its first parent, the main line). Every breaking change it reports must be
named in CHANGELOG.md by its schema coordinate in backticks (e.g. `Query.usageSummary.range`).
"""

import json
import subprocess
from pathlib import Path

import pytest

from tests.tools import CLIENTS, NODE_MODULES, REPO, run_node

SCHEMA = "schema.graphql"
CHANGELOG = REPO / "CHANGELOG.md"


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )


def previous_schema_revision() -> str | None:
    """The commit holding the schema's previous version, or None when it has none."""
    if _git("diff", "--quiet", "HEAD", "--", SCHEMA).returncode != 0:
        return "HEAD"
    last_change = _git("log", "-n", "1", "--format=%H", "--", SCHEMA).stdout.strip()
    if not last_change:
        return None
    parent = f"{last_change}^"
    if _git("cat-file", "-e", f"{parent}:{SCHEMA}").returncode != 0:
        return None  # the schema's first version, or history not cloned
    return _git("rev-parse", parent).stdout.strip()


def schema_changes(old: str, new: Path) -> dict[str, list[dict[str, str]]]:
    """graphql-inspector's changes from `old` (a file, or `git:REV:PATH`) to `new`."""
    result = run_node(
        NODE_MODULES / "@graphql-inspector" / "cli" / "cjs" / "index.js",
        "diff",
        old,
        str(new),
        "--onComplete",
        str(CLIENTS / "schema-changes.cjs"),
    )
    line = next(line for line in result.stdout.splitlines() if line.startswith("SCHEMA-CHANGES "))
    changes: dict[str, list[dict[str, str]]] = json.loads(line.removeprefix("SCHEMA-CHANGES "))
    return changes


def test_every_breaking_change_of_the_schema_is_in_the_changelog() -> None:
    revision = previous_schema_revision()
    if revision is None:
        pytest.skip("schema.graphql has no previous version to compare with")
    changes = schema_changes(f"git:{revision}:{SCHEMA}", REPO / SCHEMA)
    changelog = CHANGELOG.read_text()
    undocumented = [
        f"`{change['path']}`: {change['message']}"
        for change in changes["breaking"]
        if f"`{change['path']}`" not in changelog
    ]
    assert undocumented == [], (
        f"breaking changes of {SCHEMA} since {revision[:12]} need an entry in CHANGELOG.md "
        "(under ## Unreleased, naming the coordinate in backticks):\n" + "\n".join(undocumented)
    )


def test_a_removed_field_is_reported_as_breaking(tmp_path: Path) -> None:
    old = tmp_path / "old.graphql"
    old.write_text("type Query {\n  a: Int\n  b: Int\n}\n")
    new = tmp_path / "new.graphql"
    new.write_text("type Query {\n  a: Int\n  c: Int\n}\n")

    changes = schema_changes(str(old), new)

    assert [change["path"] for change in changes["breaking"]] == ["Query.b"]
    assert [change["path"] for change in changes["safe"]] == ["Query.c"]
