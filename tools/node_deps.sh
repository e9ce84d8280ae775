#!/bin/sh
# node_deps.sh - the browser tests' npm packages (playwright-core, no browser download: the tests
# drive Debian's chromium; axe-core, the accessibility checks) installed into tests/e2e/browser/node_modules from the committed lock
# file, only when node_modules is missing or older than package-lock.json.
#
#   sh tools/node_deps.sh
set -eu

dir=$(cd "$(dirname "$0")/../tests/e2e/browser" && pwd)
lock=$dir/package-lock.json
# npm ci writes node_modules/.package-lock.json last: its age is the install's.
stamp=$dir/node_modules/.package-lock.json

if [ -f "$stamp" ] && [ -d "$dir/node_modules/playwright-core" ] && [ -d "$dir/node_modules/axe-core" ] && [ ! "$lock" -nt "$stamp" ]; then
	exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
	echo "node_deps: npm is missing (sh tools/deps.sh all installs it)" >&2
	exit 1
fi
echo "node_deps: npm ci in tests/e2e/browser" >&2
cd "$dir"
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
touch "$stamp"
