"""The two lock files agree: scripts/serve accepts a venv installed from
requirements-dev.lock (scripts/_venv.sh), which holds only if that lock is the runtime
lock plus the dev tools, every shared package at the same version."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(?P<version>\S+)")


def pins(lock: str) -> dict[str, str]:
    """Package name (normalized as pip does) -> pinned version, from a pip-compile lock."""
    found: dict[str, str] = {}
    for line in (REPO / lock).read_text().splitlines():
        match = PIN.match(line)
        if match:
            found[re.sub(r"[-_.]+", "-", match["name"]).lower()] = match["version"]
    return found


def test_every_runtime_pin_is_in_the_dev_lock_at_the_same_version() -> None:
    # given both lock files
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    assert runtime, "requirements.lock pins nothing?"

    # then every runtime pin appears in the dev lock, identically
    differing = {name: (version, dev.get(name)) for name, version in runtime.items()}
    assert {k: v for k, v in differing.items() if v[0] != v[1]} == {}
    # and the dev lock adds to it (the test tools)
    assert set(dev) > set(runtime)
