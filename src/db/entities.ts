import { Account } from '../account/account.entity.ts'
import { Alert, AlertRule } from '../alerts/alert.entity.ts'
import { AlertDelivery, AlertDeliveryAttempt, AlertDestination } from '../alerts/alert-destination.entity.ts'
import { Deal, DealVersion, Payment } from '../deals/deal.entity.ts'
import { FxRate } from '../fx/fx-rate.entity.ts'
import { StatChange, StatDay } from '../stats/stat-day.entity.ts'
import { StatRollup } from '../stats/stat-rollup.entity.ts'
import { HostCircuit, RateLimitState, SyncCoverage, SyncRun } from '../sync/sync.entity.ts'
import { ApiToken, Member, Workspace } from '../workspace/workspace.entity.ts'

export const entities = [
  Workspace,
  Member,
  ApiToken,
  Account,
  StatDay,
  StatChange,
  StatRollup,
  SyncRun,
  SyncCoverage,
  RateLimitState,
  HostCircuit,
  FxRate,
  AlertRule,
  Alert,
  AlertDestination,
  AlertDelivery,
  AlertDeliveryAttempt,
  Deal,
  DealVersion,
  Payment,
]
