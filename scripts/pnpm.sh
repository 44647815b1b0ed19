#!/bin/sh
# Runs the pinned pnpm without corepack or a global install (only node + npm are assumed).
# Turbo must not phone home: no telemetry, no update check.
export TURBO_TELEMETRY_DISABLED=1 TURBO_NO_UPDATE_NOTIFIER=1 DO_NOT_TRACK=1
exec npx --yes pnpm@10.34.9 "$@"
