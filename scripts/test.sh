#!/usr/bin/env sh
# Set up a virtual environment with the test extras, then run the checks and the whole suite.
set -e
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
.venv/bin/python -m ruff check desktop tests benchmarks
.venv/bin/lint-imports --no-cache
.venv/bin/python -m pytest "$@"
