#!/bin/sh
# Installs the workspace from the lockfile; cheap when node_modules is already current.
set -e
cd "$(dirname "$0")/.."
sh scripts/pnpm.sh install --frozen-lockfile --prefer-offline --reporter=append-only
