"""Copy the browser assets Parley serves itself (GraphiQL, React, graphql-ws) from
`clients/node_modules` (versions pinned by `clients/package-lock.json`) into
`api/web/static/vendor/`, so the playground and the inbox page work offline and
`./scripts/serve` needs no Node.js.

Run after changing a version in `clients/package.json`:

    (cd clients && npm ci) && .venv/bin/python -m scripts.vendor_web_assets

`tests/web/test_vendored_assets.py` fails when the committed copies differ from the
installed packages.
"""

import json
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NODE_MODULES = REPO / "clients" / "node_modules"
VENDOR = REPO / "api" / "web" / "static" / "vendor"

# served name -> (npm package, file inside the package)
VENDORED_FILES: dict[str, tuple[str, str]] = {
    "react.production.min.js": ("react", "umd/react.production.min.js"),
    "react-dom.production.min.js": ("react-dom", "umd/react-dom.production.min.js"),
    "graphiql.min.js": ("graphiql", "graphiql.min.js"),
    "graphiql.min.css": ("graphiql", "graphiql.min.css"),
    "graphql-ws.min.js": ("graphql-ws", "umd/graphql-ws.min.js"),
}


def package_version(package: str) -> str:
    manifest = json.loads((NODE_MODULES / package / "package.json").read_text())
    return str(manifest["version"])


def expected_manifest() -> dict[str, dict[str, str]]:
    """What `VERSIONS.json` records: each served file's package and version."""
    return {
        name: {"package": package, "version": package_version(package), "file": file}
        for name, (package, file) in VENDORED_FILES.items()
    }


def main() -> None:
    VENDOR.mkdir(parents=True, exist_ok=True)
    for name, (package, file) in VENDORED_FILES.items():
        shutil.copyfile(NODE_MODULES / package / file, VENDOR / name)
    for package in sorted({package for package, _ in VENDORED_FILES.values()}):
        licence = next((NODE_MODULES / package).glob("LICENSE*"))
        shutil.copyfile(licence, VENDOR / f"LICENSE.{package}")
    manifest = json.dumps(expected_manifest(), indent=2, sort_keys=True) + "\n"
    (VENDOR / "VERSIONS.json").write_text(manifest)
    print(f"vendored {len(VENDORED_FILES)} files into {VENDOR.relative_to(REPO)}")


if __name__ == "__main__":
    main()
