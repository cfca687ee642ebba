# Creates .venv and installs the project when pyproject.toml changed since the last install.
ensure_venv() {
  local extras="$1"
  local python="${PYTHON:-python3}"
  if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
  fi
  # shellcheck disable=SC1091
  source .venv/bin/activate
  local stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)${extras}"
  if [ ! -f "$stamp" ]; then
    python -m pip install --quiet --upgrade pip
    python -m pip install --quiet -e ".${extras}"
    touch "$stamp"
  fi
}
