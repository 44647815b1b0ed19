#!/usr/bin/env node
// Runs the TypeScript sources through tsx until the packages ship compiled output.
import { register } from "tsx/esm/api"

register()
await import("../src/main.ts")
