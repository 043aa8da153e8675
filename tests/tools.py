"""The programs outside Python that some tests drive: Node.js (with `clients/node_modules`,
installed by `./scripts/test` from `clients/package-lock.json`) and Chromium.

Without them a test skips and says how to get them, except under CI=true, where a skip would
hide a gap: there it fails.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CLIENTS = REPO / "clients"
NODE_MODULES = CLIENTS / "node_modules"
# what Chromium runs with in every browser test: headless, and asking nothing of the network
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _missing(what: str, how: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} is missing, and CI=true requires these tests to run ({how})")
    pytest.skip(f"{what} is missing: {how}")


def require_node() -> str:
    """Path of `node`, with the clients' packages installed."""
    node = shutil.which("node")
    if node is None:
        _missing("Node.js", "install Node.js 20+ and npm")
    if not (NODE_MODULES / ".package-lock.json").exists():
        _missing("clients/node_modules", "run ./scripts/test, or `npm ci` in clients/")
    assert node is not None
    return node


def require_chromium() -> str:
    """Path of the Chromium executable (Debian's package `chromium`)."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path is not None:
            return path
    _missing("Chromium", "apt-get install chromium (.ci/run installs it)")
    raise AssertionError("unreachable")


def run_node(
    script: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a Node.js script of `clients/` with the clients' packages; its output is returned
    (the test asserts on it), and a non-zero exit fails the test with what it printed."""
    node = require_node()
    result = subprocess.run(
        [node, str(script), *args],
        cwd=CLIENTS,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"{script.name} exited with {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result
