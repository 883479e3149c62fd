#!/usr/bin/env sh
# Set up .venv from the dev lock file, then run every check and the whole suite, as CI does:
# ruff, the import contracts, mypy over the whole package, actionlint over the CI workflows, pytest.
# Arguments go to pytest; `sh scripts/test.sh -m "not bundle"` skips building the PyInstaller bundle.
set -e
cd "$(dirname "$0")/.."
LOCK=requirements/dev.txt
. scripts/venv.sh
"$VENV_BIN/python" -m ruff check desktop tests benchmarks build scripts
"$VENV_BIN/lint-imports" --no-cache
"$VENV_BIN/python" -m mypy desktop
if [ -x "$VENV_BIN/actionlint" ]; then
    "$VENV_BIN/actionlint" .github/workflows/*.yml
else  # the linter's wheels are for Linux on x86-64; the Linux job of CI runs it
    echo "actionlint is not available on this platform: workflow files not linted" >&2
fi
# The contract check (tests/contract) needs Prism from npm: required on CI, where npm is present;
# elsewhere without npm it is skipped with that reason in pytest's summary.
if command -v npm >/dev/null 2>&1; then
    sh scripts/contract.sh
elif [ "${CI:-}" = "true" ]; then
    echo "npm is missing: the contract check cannot run on CI" >&2
    exit 1
fi
"$VENV_BIN/python" -m pytest "$@"
