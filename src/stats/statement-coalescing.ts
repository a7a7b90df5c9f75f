import { type AppServices, perServices } from '../app-services.ts'
import type { Change } from '../db/change-feed.ts'
import type { StatementRunner } from './stats.service.ts'

/**
 * Identical stats statements in flight at the same time run once. After a write empties a workspace's cached
 * answers, every open dashboard of that workspace asks again at once; without this, each of them aggregates the
 * same rows on its own and they queue behind each other on the statement pool.
 *
 * A request joins a statement only if it was started for the same workspace generation: the generation moves
 * when the change feed announces a committed write to the workspace (or new rates, for all), so a request that
 * starts after a write was heard never receives rows read before it. While the feed is down nothing is shared.
 */
export class StatementCoalescing {
  readonly #inFlight = new Map<string, Promise<unknown[]>>()
  readonly #generations = new Map<string, number>()
  #epoch = 0
  readonly #services: AppServices
  /** Statements that joined one already running (for tests and figures). */
  joined = 0

  constructor(services: AppServices) {
    this.#services = services
    services.db.changes.subscribe((change) => this.#onChange(change))
    void services.db.changes.start().catch(() => undefined)
  }

  #onChange(change: Change): void {
    if (change === 'all' || change === 'reset') {
      this.#epoch++
      this.#generations.clear()
      return
    }
    if (change.startsWith('ws:')) {
      const id = change.slice(3)
      this.#generations.set(id, (this.#generations.get(id) ?? 0) + 1)
    }
  }

  /** A runner for one workspace's statements. */
  runnerFor(workspaceId: string): StatementRunner {
    return {
      prepared: <T>(sql: string, params: readonly unknown[]) => this.#run<T>(workspaceId, sql, params),
    }
  }

  async #run<T>(workspaceId: string, sql: string, params: readonly unknown[]): Promise<T[]> {
    const db = this.#services.db
    if (!db.changes.live) return db.prepared<T>(sql, params)
    const key = `${workspaceId}\n${this.#epoch}.${this.#generations.get(workspaceId) ?? 0}\n${JSON.stringify(params)}\n${sql}`
    const running = this.#inFlight.get(key)
    if (running) {
      this.joined++
      return (await running) as T[]
    }
    const started = db.prepared<T>(sql, params)
    this.#inFlight.set(key, started)
    try {
      return await started
    } finally {
      this.#inFlight.delete(key)
    }
  }
}

export const statementCoalescing = perServices((services) => new StatementCoalescing(services))

/** The statement runner of the stats queries of one workspace: the database, with identical statements shared. */
export const statsRunner = (services: AppServices, workspaceId: string): StatementRunner =>
  statementCoalescing(services).runnerFor(workspaceId)
