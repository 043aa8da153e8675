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
