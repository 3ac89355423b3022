#!/usr/bin/env bash
# One entry point that sets everything up on a fresh machine (only Python and apt present):
#   bash dev.sh app     start the app on the embedded SQLite database (demo data on first start)
#   bash dev.sh test    run the test suite (add pytest arguments after it)
#   bash dev.sh check   ruff (lint and format) and mypy
set -euo pipefail
cd "$(dirname "$0")"

ensure_python_env() {
  local requirements=$1
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv 2>/dev/null || {
      echo "python3 -m venv failed; installing python3-venv with apt" >&2
      apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
      python3 -m venv .venv
    }
  fi
  # Reinstall only when the requirements changed since the last install.
  local stamp=".venv/.installed-$(cat requirements.txt "$requirements" | sha256sum | cut -c1-16)-$(basename "$requirements")"
  if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -r "$requirements"
    touch "$stamp"
  fi
}

command=${1:-}
[ $# -gt 0 ] && shift
case "$command" in
  app)
    ensure_python_env requirements.txt
    exec .venv/bin/python -m streamlit run serve.py "$@"
    ;;
  test)
    ensure_python_env requirements-dev.txt
    # Chart images and the browser tests need Chromium; install it where we may (root with apt).
    if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "Installing Chromium for the browser tests (apt)" >&2
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
    exec .venv/bin/python -m pytest "$@"
    ;;
  check)
    ensure_python_env requirements-dev.txt
    .venv/bin/ruff check .
    .venv/bin/ruff format --check .
    .venv/bin/mypy
    ;;
  *)
    echo "usage: bash dev.sh app|test|check [arguments]" >&2
    exit 2
    ;;
esac
