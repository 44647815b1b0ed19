/** Tiny DOM helpers: the page is plain TypeScript, no framework. */

export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id)
  if (el === null) throw new Error(`missing #${id}`)
  return el as T
}

export const el = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { readonly text?: string; readonly className?: string; readonly data?: Record<string, string> } = {},
  children: ReadonlyArray<Node> = [],
): HTMLElementTagNameMap[K] => {
  const node = document.createElement(tag)
  if (props.text !== undefined) node.textContent = props.text
  if (props.className !== undefined) node.className = props.className
  for (const [k, v] of Object.entries(props.data ?? {})) node.dataset[k] = v
  for (const c of children) node.append(c)
  return node
}

export const row = (cells: ReadonlyArray<string | Node>): HTMLTableRowElement =>
  el(
    "tr",
    {},
    cells.map((c) => el("td", {}, [typeof c === "string" ? document.createTextNode(c) : c])),
  )

export const short = (address: string) => `${address.slice(0, 6)}…${address.slice(-4)}`

export const setStatus = (text: string) => {
  $("status").textContent = text
}

/** Shows a failure: the typed error's tag and its one-line message (never a stack). */
export const showError = (e: unknown) => {
  const box = $("error")
  const tag = typeof e === "object" && e !== null && "_tag" in e ? `${String((e as { _tag: unknown })._tag)}: ` : ""
  box.textContent = `${tag}${e instanceof Error ? e.message : String(e)}`
  box.hidden = false
}

export const clearError = () => {
  $("error").hidden = true
}

/** Runs a button's action with the button disabled, reporting any failure on the page. */
export const action = (id: string, label: string, run: () => Promise<void>) => {
  const button = $<HTMLButtonElement>(id)
  button.addEventListener("click", async () => {
    button.disabled = true
    clearError()
    setStatus(`${label}…`)
    try {
      await run()
      setStatus(`${label}: done`)
    } catch (e) {
      setStatus(`${label}: failed`)
      showError(e)
    } finally {
      button.disabled = false
    }
  })
}
