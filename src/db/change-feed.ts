import type { EventSubscriber, FlushEventArgs } from '@mikro-orm/core'
import pg from 'pg'
import type { DatabaseKind } from './database.ts'

/**
 * Announcements of committed changes, for the caches of every process on one database: the token cache and the
 * response cache drop what a change made stale. A change is `ws:<workspace id>` (anything a workspace's answers
 * show), `token:<token id>` (a token revoked, renamed or deleted), `all` (shared data: exchange rates) or
 * `reset` (the feed lost its connection: notifications may have been missed, so everything is dropped).
 *
 * Writers announce through the database (`pg_notify` inside their transaction, delivered when it commits, to
 * every listening process including their own), so a rolled-back write announces nothing; every unit of work the
 * ORM flushes is announced by `ChangeAnnouncer`, and the raw-SQL writers (daily stats, exchange rates) announce
 * themselves. A process also announces its own writes locally, at once, so that its next request reads them
 * (read-your-writes) without waiting for the notification's round trip.
 */
export const CHANGE_CHANNEL = 'affgraph_change'

export type Change = string
export type ChangeListener = (change: Change) => void

const listeners = new Set<ChangeListener>()

/** Delivers a change to every cache of this process, synchronously. */
export function announceLocally(change: Change): void {
  for (const listener of listeners) listener(change)
}

/** SQL (with `?` placeholders) that announces changes to every listener once the transaction commits. */
export function announceSql(changes: readonly Change[]): string {
  return `select ${changes.map(() => `pg_notify('${CHANGE_CHANNEL}', ?)`).join(', ')}`
}

/**
 * Announces what every flushed unit of work changed: the workspace of each tenant-owned entity written, each
 * token written (revocation), each workspace itself. Announced inside the flush's transaction when there is an
 * outer one (delivered at its commit), else right after the flush committed; and locally at once.
 */
export class ChangeAnnouncer implements EventSubscriber {
  async afterFlush({ em, uow }: FlushEventArgs): Promise<void> {
    const changes = new Set<Change>()
    for (const changeSet of uow.getChangeSets()) {
      const entity = changeSet.entity as { id?: unknown; workspace?: { id?: unknown } }
      const name = changeSet.meta.className
      const workspaceId = name === 'Workspace' ? entity.id : entity.workspace?.id
      if (typeof workspaceId === 'string') changes.add(`ws:${workspaceId}`)
      if (name === 'ApiToken' && typeof entity.id === 'string') changes.add(`token:${entity.id}`)
    }
    if (changes.size === 0) return
    const list = [...changes]
    for (const change of list) announceLocally(change)
    await em
      .getConnection()
      .execute(announceSql(list), list, 'run', em.isInTransaction() ? em.getTransactionContext() : undefined)
  }
}

export interface ChangeFeed {
  /** True while notifications from the database are being received; caches serve only then. */
  readonly live: boolean
  /** Starts listening (once); resolves when the first connection is up or has failed. */
  start(): Promise<void>
  /** Registers a listener for every change of this process; returns its removal. */
  subscribe(listener: ChangeListener): () => void
  close(): Promise<void>
}

interface FeedSource {
  kind: DatabaseKind
  url: string | undefined
  pglite:
    | { listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>> }
    | undefined
}

const RECONNECT_DELAYS_MS = [250, 1000, 2000, 5000]

/**
 * Listens on the database's change channel: a connection of its own on PostgreSQL, re-established after it drops
 * (every cache of the process is reset meanwhile), or PGlite's in-process LISTEN.
 */
export function createChangeFeed(source: FeedSource, onError?: (message: string) => void): ChangeFeed {
  let live = false
  let closed = false
  let started: Promise<void> | null = null
  let client: pg.Client | null = null
  let unlisten: (() => Promise<void>) | null = null
  let retry: NodeJS.Timeout | null = null
  let failures = 0

  const deliver = (payload: string | undefined) => {
    if (payload) announceLocally(payload)
  }
  const lost = () => {
    if (live) announceLocally('reset')
    live = false
  }

  const connect = async (): Promise<void> => {
    if (closed || !source.url) return
    const next = new pg.Client({ connectionString: source.url, application_name: 'affgraph-changes' })
    const reconnect = () => {
      lost()
      if (client === next) client = null
      next.removeAllListeners()
      next.on('error', () => undefined)
      void next.end().catch(() => undefined)
      if (closed || retry) return
      const delay = RECONNECT_DELAYS_MS[Math.min(failures++, RECONNECT_DELAYS_MS.length - 1)]
      retry = setTimeout(() => {
        retry = null
        void connect()
      }, delay)
      retry.unref()
    }
    next.on('error', (error) => {
      onError?.(error.message)
      reconnect()
    })
    next.on('end', reconnect)
    next.on('notification', (message) => {
      if (message.channel === CHANGE_CHANNEL) deliver(message.payload)
    })
    try {
      await next.connect()
      await next.query(`listen ${CHANGE_CHANNEL}`)
    } catch (error) {
      onError?.((error as Error).message)
      reconnect()
      return
    }
    if (closed) {
      await next.end().catch(() => undefined)
      return
    }
    client = next
    failures = 0
    // Anything committed while no one listened is unknown: start from empty caches.
    announceLocally('reset')
    live = true
  }

  return {
    get live() {
      return live
    },
    start() {
      started ??= (async () => {
        if (source.kind === 'pglite' && source.pglite) {
          unlisten = await source.pglite.listen(CHANGE_CHANNEL, deliver)
          live = true
        } else await connect()
      })()
      return started
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async close() {
      closed = true
      live = false
      if (retry) clearTimeout(retry)
      const c = client
      client = null
      if (c) {
        c.removeAllListeners()
        c.on('error', () => undefined)
        await c.end().catch(() => undefined)
      }
      await unlisten?.().catch(() => undefined)
    },
  }
}
