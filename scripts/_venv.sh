# Shared by scripts/serve, scripts/parley and scripts/test: a virtual environment in .venv
# that installs exactly the versions of a lock file (re-installed when the lock changes).
# requirements-dev.lock is requirements.lock plus the dev tools, at the same pins (a test
# checks), so a venv installed from it satisfies the runtime too: pass it as a further
# lock that is good enough, and switching between serve and test installs nothing.
#   ensure_venv LOCK [ALSO_SATISFIED_BY_LOCK...]
ensure_venv() {
  local lock="$1"
  shift
  local python="${PYTHON:-python3}"
  if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
  fi
  local candidate
  for candidate in "$lock" "$@"; do
    if [ -f "$(_venv_stamp "$candidate")" ]; then
      return 0
    fi
  done
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r "$lock"
  .venv/bin/python -m pip install --quiet --no-deps -e .
  rm -f .venv/.installed-*  # what was installed before no longer says what is there
  touch "$(_venv_stamp "$lock")"
}

# The file that says .venv holds exactly this lock file (and pyproject.toml) as they are now.
_venv_stamp() {
  echo ".venv/.installed-$1-$(sha256sum "$1" pyproject.toml | sha256sum | cut -c1-16)"
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
