"""The browser assets Parley serves are exactly the pinned npm packages' files."""

import json

from scripts.vendor_web_assets import NODE_MODULES, VENDOR, VENDORED_FILES, expected_manifest
from tests.tools import require_node


def test_vendored_files_are_the_installed_packages_files() -> None:
    require_node()
    stale = [
        name
        for name, (package, file) in VENDORED_FILES.items()
        if (VENDOR / name).read_bytes() != (NODE_MODULES / package / file).read_bytes()
    ]
    assert stale == [], "run .venv/bin/python -m scripts.vendor_web_assets"
    assert json.loads((VENDOR / "VERSIONS.json").read_text()) == expected_manifest()
