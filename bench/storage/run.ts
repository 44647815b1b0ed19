/** `pnpm bench` entry for storage: `tsx storage/run.ts [merkle|upload|all]`. */
import { benchMerkle } from "./merkle.js"
import { benchUpload } from "./upload.js"

const which = process.argv[2] ?? "all"
if (which === "all" || which === "merkle") await benchMerkle()
if (which === "all" || which === "upload") await benchUpload()
