/** The shared deadline timer now lives with the provider limits in core; re-exported for existing imports. */
export { deadline, pendingDeadlines } from "@0g-compute/core"
