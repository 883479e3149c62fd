#!/usr/bin/env sh
# Install Stoplight Prism (pinned in tools/contract/package-lock.json) for the contract check,
# tests/contract: every request the app makes and every answer the practice simulator gives,
# checked against Register's OpenAPI document (read from ../shared/register at test time, never
# copied here). Needs Node.js and npm. scripts/test.sh runs this first when npm is available;
# on CI (CI=true) the contract check is required, so a missing npm fails the run instead of
# skipping the check.
set -e
cd "$(dirname "$0")/../tools/contract"
if [ ! -x node_modules/.bin/prism ] || [ package-lock.json -nt node_modules/.bin/prism ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
echo "Prism $(node_modules/.bin/prism --version) ready for the contract check" >&2
