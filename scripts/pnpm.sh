#!/bin/sh
# Runs the pinned pnpm without corepack or a global install (only node + npm are assumed).
exec npx --yes pnpm@10.34.9 "$@"
