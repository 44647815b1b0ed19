/** Giving a finished temp file its final name without ever replacing what the caller did not allow to be replaced. */
import { link, lstat, rename } from "node:fs/promises"
import { OutputExists } from "../errors.js"

/**
 * Gives `from`'s file the name `to`. With `overwrite`, a rename. Without, a hard link claims `to` atomically: anything
 * there (also what appeared since the caller checked) is `OutputExists`; a file system without hard links gets the
 * rename after one more look. "linked": `from` still exists and is the caller's to remove.
 */
export const claimOutput = async (from: string, to: string, overwrite: boolean): Promise<"linked" | "renamed"> => {
  if (!overwrite) {
    try {
      await link(from, to)
      return "linked"
    } catch (e) {
      const taken =
        (e as { code?: string }).code === "EEXIST" ||
        (await lstat(to).then(
          () => true,
          () => false,
        ))
      if (taken) throw new OutputExists({ path: to })
    }
  }
  await rename(from, to)
  return "renamed"
}
