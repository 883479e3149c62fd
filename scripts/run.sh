#!/usr/bin/env sh
# Set up a virtual environment, then run the app on the bundled sample (or on the FILE given).
set -e
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
SAMPLE=$(.venv/bin/python -c "from desktop.core.samples import sample_path; print(sample_path())")
exec .venv/bin/register-desktop check "${1:-$SAMPLE}"
