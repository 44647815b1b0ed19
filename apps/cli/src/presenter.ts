/**
 * How effect/cli's help and flag errors look here: each `--help` lists the command's own flags and points once to the
 * global ones; a flag error is one line on stderr (a JSON error document with --json, never help on stdout).
 */
import { Console, Layer } from "effect"
import { CliConfig, CliOutput, GlobalFlag } from "effect/cli"
import type { CliIOShape } from "./io.js"
import { toJson } from "./output.js"
import { hideTypedKeys, neutralise, redact } from "./sanitize.js"

/** `--json` among the options (before a `--`), as the root's shared flag would parse it. */
export const jsonRequested = (argv: ReadonlyArray<string>): boolean => {
  const end = argv.indexOf("--")
  const opts = end === -1 ? argv : argv.slice(0, end)
  return opts.some((a) => a === "--json" || a === "--json=true")
}

const GLOBAL_POINTER =
  "Global flags (--network, --rpc, --profile, --key, --key-file, --password-file, --json, --verbose):"

export const helpFormatter = (colors: boolean): CliOutput.Formatter => {
  const base = CliOutput.defaultFormatter({ colors })
  return {
    ...base,
    formatHelpDoc: (doc) => {
      const path = doc.commandPath ?? []
      if (path.length <= 1) return base.formatHelpDoc(doc)
      const own = base.formatHelpDoc({ ...doc, inheritedFlags: [], globalFlags: [] })
      return `${own}\n\n${GLOBAL_POINTER} see \`${path[0]} --help\``
    },
  }
}

const commandOf = (path: ReadonlyArray<string>) => path.join(" ")

export const presenter = (json: boolean, colors: boolean): CliOutput.Presenter => {
  const formatter = helpFormatter(colors)
  return {
    present: (event) => {
      switch (event._tag) {
        case "Help":
          if (json && event.reason === "Implicit")
            return Console.error(
              toJson({
                error: {
                  _tag: "MissingSubcommand",
                  message: `\`${commandOf(event.commandPath)}\` needs a subcommand; see \`${commandOf(event.commandPath)} --help\``,
                },
              }),
            )
          return Console.log(formatter.formatHelpDoc(event.helpDoc))
        case "InvalidInvocation": {
          // A flag error quotes the value typed, which may be a URL with credentials in it.
          const messages = event.errors.map((e) => neutralise(hideTypedKeys(redact(e.message))))
          if (json)
            return Console.error(
              toJson({ error: { _tag: event.errors[0]?._tag ?? "InvalidArguments", message: messages.join("; ") } }),
            )
          return Console.error(
            [
              ...messages.map((m) => `error: ${m}`),
              `usage: ${event.helpDoc.usage} (see \`${commandOf(event.commandPath)} --help\`)`,
            ].join("\n"),
          )
        }
        case "Version":
          return json
            ? Console.log(toJson({ name: event.name, version: event.version }))
            : Console.log(formatter.formatVersion(event.name, event.version))
      }
    },
  }
}

/** The built-in global flags we keep: no interactive wizard (it bypasses key and password handling). */
const BUILT_INS = GlobalFlag.BuiltIns.filter((f) => f !== GlobalFlag.Wizard)

export const presentationLayer = (argv: ReadonlyArray<string>, io: CliIOShape) => {
  const colors = io.stdoutIsTTY && io.env.NO_COLOR === undefined
  return Layer.mergeAll(
    CliOutput.layerPresenter(presenter(jsonRequested(argv), colors)),
    CliOutput.layer(helpFormatter(colors)),
    CliConfig.layer({ builtIns: BUILT_INS }),
  )
}
