#!/bin/sh
# The README's test command: install from the lockfile, run every package's vitest suite through turbo, then print one
# closing line "N passed, N failed" added up from the per-package JSON reports.
set -e
cd "$(dirname "$0")/.."
sh scripts/bootstrap.sh
# Real parts npm cannot ship come from Debian when missing (CI is root): Chromium for the dApp's and the router
# dashboard's browser tests, a PostgreSQL server for the router's replica tests.
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing="$missing postgresql"
if [ -n "$missing" ]; then apt-get update && apt-get install -y $missing; fi
rm -f packages/*/.vitest-report.json apps/*/.vitest-report.json tests/*/.vitest-report.json examples/*/.vitest-report.json
status=0
sh scripts/pnpm.sh exec turbo run typecheck --continue --concurrency=2 --output-logs=errors-only || status=$?
sh scripts/pnpm.sh exec turbo run test --continue --concurrency=3 --output-logs=errors-only -- \
  --reporter=default --reporter=json --outputFile.json=.vitest-report.json || status=$?
node scripts/test-summary.mjs || status=1
exit $status
