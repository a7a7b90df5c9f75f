/**
 * Reads server-sent events until `enough` holds, the server ends the stream (noted in `closedAt`, on the
 * performance clock) or the time is up.
 */
export async function readEvents<T>(
  response: Response,
  enough: (events: T[]) => boolean,
  timeoutMs: number,
): Promise<{ events: T[]; closedAt: number | null }> {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  const events: T[] = []
  let buffer = ''
  let closedAt: number | null = null
  const deadline = Date.now() + timeoutMs
  while (!enough(events)) {
    const left = deadline - Date.now()
    if (left <= 0) break
    let timer: NodeJS.Timeout | undefined
    const chunk = await Promise.race([
      reader.read(),
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), left)
      }),
    ])
    clearTimeout(timer)
    if (chunk === null) break
    if (chunk.done) {
      closedAt = performance.now()
      break
    }
    buffer += decoder.decode(chunk.value, { stream: true })
    let cut = buffer.indexOf('\n\n')
    while (cut !== -1) {
      const data = buffer
        .slice(0, cut)
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trim())
        .join('')
      buffer = buffer.slice(cut + 2)
      if (data) events.push(JSON.parse(data) as T)
      cut = buffer.indexOf('\n\n')
    }
  }
  await reader.cancel().catch(() => undefined)
  return { events, closedAt }
}

/**
 * Reads server-sent events until `enough` holds or the time is up (then returns what came: for a stream that must
 * stay silent, silence is the expected outcome, not a failure).
 */
export async function collectEvents<T>(
  response: Response,
  enough: (events: T[]) => boolean,
  timeoutMs: number,
): Promise<T[]> {
  return (await readEvents(response, enough, timeoutMs)).events
}
