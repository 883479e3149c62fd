#!/usr/bin/env sh
# Build the onedir bundle into dist/RegisterDesktop from the dev lock file and run its self-test.
# Usage: sh build/build.sh
set -e
cd "$(dirname "$0")/.."
LOCK=requirements/dev.txt
. scripts/venv.sh
"$VENV_BIN/pyinstaller" build/desktop.spec --noconfirm --log-level WARN --workpath .pyinstaller --distpath dist
du -sh dist/RegisterDesktop
if [ -x dist/RegisterDesktop/register-desktop.exe ]; then CLI=dist/RegisterDesktop/register-desktop.exe; else CLI=dist/RegisterDesktop/register-desktop; fi
QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}" "$CLI" self-test
