import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/core'
import type { Workspace } from '../workspace/workspace.entity.ts'
import { AlertRule, type AlertRuleKind } from './alert.entity.ts'

/**
 * The rules a workspace starts from: each catches one way affiliates lose money without being told. The web
 * page's "Add recommended rules" offers the same set.
 */
export const RECOMMENDED_RULES: readonly {
  name: string
  kind: AlertRuleKind
  settings: Record<string, unknown>
}[] = [
  { name: 'Revised figures', kind: 'REVISION', settings: {} },
  { name: 'Sync stopped', kind: 'SYNC_STALE', settings: { staleHours: 24 } },
  { name: 'Key refused', kind: 'CREDENTIALS_REFUSED', settings: {} },
  {
    name: 'Clicks dropped',
    kind: 'TRAFFIC_CHANGE',
    settings: { metric: 'clicks', direction: 'DROP', changePercent: 50 },
  },
  { name: 'Program went quiet', kind: 'STOPPED_REPORTING', settings: {} },
  { name: 'Payment overdue or short', kind: 'PAYMENT_OVERDUE', settings: {} },
]

/** Creates the recommended rules in a workspace that has none; returns how many it created. */
export async function ensureRecommendedRules(
  em: EntityManager,
  workspace: Workspace,
  now: Date,
): Promise<number> {
  if ((await em.count(AlertRule, { workspace: workspace.id }, { filters: false })) > 0) return 0
  for (const rule of RECOMMENDED_RULES) {
    em.create(AlertRule, {
      id: randomUUID(),
      workspace,
      name: rule.name,
      kind: rule.kind,
      settings: rule.settings,
      targetTags: [],
      targetAccountIds: [],
      destinationIds: [],
      enabled: true,
      createdAt: now,
      updatedAt: now,
    })
  }
  await em.flush()
  return RECOMMENDED_RULES.length
}
