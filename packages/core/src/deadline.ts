/**
 * One shared deadline timer for the provider exchanges: arming a fresh timer per exchange costs more than the rest of
 * a small request's bookkeeping; one timer armed for the earliest pending deadline fires each on time. Unref'd where
 * possible, so it never holds a process open itself.
 */

interface Waiter {
  readonly at: number
  readonly expire: () => void
}
type Handle = ReturnType<typeof setTimeout> & { unref?: () => unknown }
const waiters = new Set<Waiter>()
let timer: Handle | undefined
let armedFor = Number.POSITIVE_INFINITY

const arm = (at: number, now: number): void => {
  if (timer !== undefined) clearTimeout(timer)
  armedFor = at
  // setTimeout takes at most 2^31 − 1 ms; a later deadline is re-checked then.
  timer = setTimeout(sweep, Math.min(Math.max(0, at - now), 2_147_483_647)) as Handle
  timer.unref?.()
}

function sweep(): void {
  timer = undefined
  armedFor = Number.POSITIVE_INFINITY
  const now = Date.now()
  let next = Number.POSITIVE_INFINITY
  for (const w of waiters) {
    if (w.at <= now) {
      waiters.delete(w)
      w.expire()
    } else if (w.at < next) next = w.at
  }
  if (next !== Number.POSITIVE_INFINITY && next < armedFor) arm(next, now)
}

/** Calls `expire` once `ms` have passed, unless the returned `release` is called first. */
export const deadline = (ms: number, expire: () => void): (() => void) => {
  const now = Date.now()
  const w: Waiter = { at: now + Math.max(0, ms), expire }
  waiters.add(w)
  if (w.at < armedFor) arm(w.at, now)
  return () => {
    if (!waiters.delete(w) || waiters.size > 0 || timer === undefined || typeof timer.unref === "function") return
    clearTimeout(timer)
    timer = undefined
    armedFor = Number.POSITIVE_INFINITY
  }
}

/** Pending deadlines (tests). */
export const pendingDeadlines = (): number => waiters.size
