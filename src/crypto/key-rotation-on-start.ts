import type { AppServices } from '../app-services.ts'
import { countRecordsByKey, KeyRotationError, rotateMasterKey, rotationPending } from './key-rotation.ts'

export interface BackgroundRotation {
  /** Settles when the pass has ended, whatever its outcome (the outcome is logged). */
  readonly done: Promise<void>
  /** Asks the pass to stop after the current row; settles when it has. */
  stop(): Promise<void>
}

/**
 * "Rotate on start": when stored credentials are wrapped by a key other than the active one, the server re-wraps
 * them in the background while it serves. This is the way to rotate on the embedded database, which only one
 * process may open; on PostgreSQL `npm run keys -- rotate` can do the same beside running servers, and several
 * servers starting at once are safe because every write is a compare-and-set.
 */
export function startKeyRotationOnStart(services: AppServices): BackgroundRotation {
  const { db, keyRing, logger, config } = services
  const log = logger.child({ component: 'key-rotation' })
  const controller = new AbortController()
  const done = (async () => {
    if (!(await rotationPending(db, keyRing))) return
    log.info(
      { activeKeyId: keyRing.activeKeyId, recordsByKey: Object.fromEntries(await countRecordsByKey(db)) },
      'master key rotation started',
    )
    const started = Date.now()
    const result = await rotateMasterKey(db, keyRing, {
      batchSize: config.keyRotation.batchSize,
      pauseMs: config.keyRotation.pauseMs,
      signal: controller.signal,
    })
    log[result.failed.length > 0 ? 'error' : 'info'](
      {
        activeKeyId: keyRing.activeKeyId,
        rows: result.rows,
        rewrapped: result.rewrapped,
        alreadyCurrent: result.alreadyCurrent,
        raced: result.raced,
        failedIds: result.failed,
        durationMs: Date.now() - started,
      },
      'master key rotation finished',
    )
  })().catch((error: unknown) => {
    if (error instanceof KeyRotationError) {
      log.error({ code: error.code, err: { message: error.message } }, 'master key rotation stopped')
      return
    }
    // After shutdown closed the database there is nothing to report.
    if (controller.signal.aborted) return
    log.error({ err: { message: (error as Error)?.message } }, 'master key rotation failed')
  })
  return {
    done,
    async stop() {
      controller.abort()
      await done
    },
  }
}
