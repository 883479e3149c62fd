# Sourced by scripts/test.sh, scripts/run.sh and build/build.sh (from the repository root):
#   LOCK=requirements/dev.txt
#   . scripts/venv.sh
# (a sourced file gets no arguments of its own in POSIX sh: the caller's are left to pytest)
# Creates .venv with plain `python -m venv` when missing, installs exactly the versions of the
# lock file given (every file checked against its hash, wheels only), then this project itself,
# editable. Skips the install when .venv already holds that lock file's versions. Sets VENV_BIN.
# The lock files are written by scripts/lock.sh; nothing here resolves a version.
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ] && [ ! -x .venv/Scripts/python.exe ]; then
    "$PY" -m venv .venv
fi
if [ -x .venv/Scripts/python.exe ]; then VENV_BIN=.venv/Scripts; else VENV_BIN=.venv/bin; fi
STAMP=".venv/installed-$(basename "$LOCK" .txt)"
WANT="$(cksum < "$LOCK") $(cksum < pyproject.toml)"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
    "$VENV_BIN/python" -m pip install -q --disable-pip-version-check --require-hashes --only-binary :all: -r "$LOCK"
    # the project itself: no dependencies (the lock has them), setuptools from the lock as backend
    "$VENV_BIN/python" -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
    echo "$WANT" > "$STAMP"
fi
