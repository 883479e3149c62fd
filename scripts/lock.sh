#!/usr/bin/env sh
# Refresh the lock files after changing dependencies in pyproject.toml:
#   sh scripts/lock.sh                      keep every pinned version that still fits
#   sh scripts/lock.sh --upgrade            newest versions of everything (then run the whole suite)
#   sh scripts/lock.sh --upgrade-package X  newest X only
# requirements/app.txt: the app (scripts/run.sh). requirements/dev.txt: the app and the developer
# tools of [dependency-groups] (scripts/test.sh, build/build.sh, CI). One resolution for every
# operating system and for Python 3.11 and newer, with the hash of every file, wheels only.
# Needs PyPI and uv, which the dev lock installs into .venv (run sh scripts/test.sh once first).
set -e
cd "$(dirname "$0")/.."
if [ -x .venv/Scripts/uv.exe ]; then UV=.venv/Scripts/uv.exe; else UV=.venv/bin/uv; fi
if [ ! -x "$UV" ]; then
    echo "uv is missing from .venv: run sh scripts/test.sh once first (it installs the dev lock)" >&2
    exit 2
fi
compile() {
    "$UV" pip compile pyproject.toml --quiet --universal --generate-hashes --no-build --python-version 3.11 \
        --custom-compile-command "sh scripts/lock.sh" "$@"
}
compile -o requirements/app.txt --group build "$@"
compile -o requirements/dev.txt --group dev --group build "$@"
