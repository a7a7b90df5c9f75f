import { performance } from 'node:perf_hooks'

/**
 * Resolves no earlier than `ms` from now (timers may fire a little early against the monotonic clock, and a
 * Retry-After or rate-limit wait must not be cut short), or rejects with the signal's reason once it aborts.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  const until = performance.now() + Math.max(0, ms)
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    let timer: NodeJS.Timeout | undefined
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const arm = () => {
      const left = until - performance.now()
      if (left <= 0) {
        signal?.removeEventListener('abort', onAbort)
        resolve()
        return
      }
      timer = setTimeout(arm, Math.ceil(left))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    arm()
  })
}
