# Shared by scripts/serve and scripts/test: a virtual environment in .venv that installs
# exactly the versions of the lock file (re-installed when the lock file changes).
ensure_venv() {
  local lock="$1"
  local python="${PYTHON:-python3}"
  if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
  fi
  local stamp=".venv/.installed-$(sha256sum "$lock" pyproject.toml | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -r "$lock"
    .venv/bin/python -m pip install --quiet --no-deps -e .
    rm -f .venv/.installed-*
    touch "$stamp"
  fi
}

# scripts/test: the clients' Node.js packages (reference clients, codegen, the vendored
# browser assets' sources) from clients/package-lock.json, when Node.js is here; the tests
# that need them skip without it (and fail under CI=true).
ensure_node_modules() {
  if ! command -v npm >/dev/null; then
    echo "scripts/test: npm not found; the Node.js client tests will skip" >&2
    return 0
  fi
  local stamp="clients/node_modules/.installed-$(sha256sum clients/package-lock.json | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    (cd clients && npm ci --no-audit --no-fund --loglevel=error)
    touch "$stamp"
  fi
}
