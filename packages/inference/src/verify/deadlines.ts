/**
 * Deadlines of in-flight signature GETs, kept by one shared timer instead of one per request: arming and clearing a
 * fresh timer per request cost ~30 µs of the client's per-request overhead, more than the rest of the GET's own
 * bookkeeping. The timer is always armed for the earliest pending deadline, so every deadline fires on time. Like
 * Node's `AbortSignal.timeout`, it is unref'd: it never holds a process open by itself (the pending request does).
 * Where timers cannot be unref'd (browsers) it is cleared when nothing waits, which is the per-request cost again.
 */

interface Waiter {
  readonly deadline: number
  readonly expire: () => void
}

type Handle = ReturnType<typeof setTimeout> & { unref?: () => unknown }

const waiters = new Set<Waiter>()
let timer: Handle | undefined
/** When the armed timer fires (Infinity: none armed). */
let armedFor = Number.POSITIVE_INFINITY

const arm = (deadline: number, now: number): void => {
  if (timer !== undefined) clearTimeout(timer)
  armedFor = deadline
  timer = setTimeout(sweep, Math.max(0, deadline - now)) as Handle
  timer.unref?.()
}

function sweep(): void {
  timer = undefined
  armedFor = Number.POSITIVE_INFINITY
  const now = Date.now()
  let next = Number.POSITIVE_INFINITY
  for (const w of waiters) {
    if (w.deadline <= now) {
      waiters.delete(w)
      w.expire()
    } else if (w.deadline < next) next = w.deadline
  }
  if (next !== Number.POSITIVE_INFINITY) arm(next, now)
}

/** Calls `expire` once `ms` have passed, unless the returned `release` is called first. */
export const deadline = (ms: number, expire: () => void): (() => void) => {
  const now = Date.now()
  const w: Waiter = { deadline: now + ms, expire }
  waiters.add(w)
  if (w.deadline < armedFor) arm(w.deadline, now)
  return () => {
    if (!waiters.delete(w) || waiters.size > 0 || timer === undefined || typeof timer.unref === "function") return
    clearTimeout(timer)
    timer = undefined
    armedFor = Number.POSITIVE_INFINITY
  }
}

/** Pending deadlines (tests). */
export const pendingDeadlines = (): number => waiters.size
