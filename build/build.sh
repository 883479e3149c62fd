#!/usr/bin/env sh
# Build the onedir bundle into dist/RegisterDesktop and run its self-test.
# Usage: sh build/build.sh   (needs the venv from scripts/test.sh or scripts/run.sh)
set -e
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[build]'
.venv/bin/pyinstaller build/desktop.spec --noconfirm --log-level WARN --workpath .pyinstaller --distpath dist
du -sh dist/RegisterDesktop
QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}" dist/RegisterDesktop/register-desktop self-test
