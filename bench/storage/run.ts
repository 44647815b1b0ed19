/** `pnpm bench` entry for storage: merkle root (and, when available, devnet upload) benchmarks. */
import { benchMerkle } from "./merkle.js"

const which = process.argv[2] ?? "all"
if (which === "all" || which === "merkle") await benchMerkle()
