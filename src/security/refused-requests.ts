/**
 * Requests a plugin has already answered with a refusal (e.g. a rate limit) before execution. Yoga runs every
 * `onParams` hook and keeps the last result set, so a later hook that answers from memory (the response cache)
 * must ask here first; otherwise a cached answer would replace the refusal.
 */
const refused = new WeakSet<Request>()

export function markRefused(request: Request): void {
  refused.add(request)
}

export function wasRefused(request: Request): boolean {
  return refused.has(request)
}
