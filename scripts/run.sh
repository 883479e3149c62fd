#!/usr/bin/env sh
# Set up a virtual environment, then open the window on the bundled sample (or on the FILE given).
# Without a display (a server, an SSH session) it says so and runs the same check on the command line.
set -e
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
SAMPLE=$(.venv/bin/python -c "from desktop.core.samples import sample_path; print(sample_path())")
FILE="${1:-$SAMPLE}"
if .venv/bin/python -c "import sys; from desktop.ui.app import display_available; sys.exit(0 if display_available() else 1)"; then
    exec .venv/bin/python -m desktop "$FILE"
fi
echo "No display here, so no window: checking the file on the command line instead." >&2
exec .venv/bin/register-desktop check "$FILE"
