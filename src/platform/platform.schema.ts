import { type AppBuilder, requirePrincipal } from '../schema/builder.ts'
import {
  BREAKDOWNS,
  type Breakdown,
  type ConnectionField,
  DEFAULT_LOOKBACK_DAYS,
  EVIDENCE_CONFIDENCES,
  EVIDENCE_TOPICS,
  type EvidenceConfidence,
  type EvidenceFact,
  type EvidenceSource,
  type EvidenceTopic,
  METRICS,
  type Metric,
  MONEY_METRICS,
  type PlatformMaturity,
  platformMaturity,
  type z,
} from '../sdk/index.ts'
import { platformToday } from '../sync/sync-engine.ts'
import type { LoadedPlatform, PlatformRegistry } from './platform-registry.ts'
import { type EffectiveHorizon, horizonOf, settledThrough } from './revision-horizon.ts'

interface ConnectionFieldSpec {
  name: string
  field: ConnectionField
}

const SCREAMING = (value: string) => value.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()

const TOPIC_TEXT: Record<EvidenceTopic, string> = {
  endpoint: 'Where the report is asked for: host, path, method.',
  auth: 'How the credentials are sent and how a refusal looks.',
  parameters: 'What the request must say: dates, breakdowns, formats.',
  paging: 'How a long answer is split and followed.',
  fields: 'What the answer holds: columns, names, units, currencies.',
  errors: 'How the platform reports a failure.',
  limits: 'Request rates and window lengths the platform accepts.',
  revisions: 'How long past days keep changing.',
  identity: 'How the account is named or found.',
  payments: 'What the platform reports of the payments it made: report, fields, periods.',
}

const CONFIDENCE_TEXT: Record<EvidenceConfidence, string> = {
  vendor: "The platform's own artefact: docs page, OpenAPI, Postman collection, XSD, a published sample.",
  'vendor-copy': 'A vendor artefact preserved by a third party (scraped docs, a copied collection).',
  'code-live': 'Third-party code whose history shows it ran against the live API.',
  code: 'Third-party client code with no proof of a live run.',
  inferred: 'Our inference from related facts.',
  assumed: 'Nothing public says so: the plugin assumes it and reads defensively.',
}

/** What each metric counts, for the `Metric` enum and the stats figures named after it. */
export const METRIC_DESCRIPTIONS: Record<Metric, string> = {
  impressions: 'Impressions (banner or link views).',
  clicks: 'Clicks (visits) sent to the program.',
  signups: 'Registrations.',
  ftds: 'First-time depositors.',
  depositCount: 'Number of deposits.',
  cpaCount: 'Players that qualified for CPA.',
  salesCount: 'Sales (for product programs).',
  refundCount: 'Refunds.',
  chargebackCount: 'Chargebacks.',
  deposits: 'Deposited amount.',
  netRevenue: 'Net revenue (NGR) the program reports.',
  commission: 'Commission earned.',
  salesAmount: 'Amount of the sales.',
  refundAmount: 'Amount refunded.',
  chargebackAmount: 'Amount charged back.',
}

const BREAKDOWN_DESCRIPTIONS: Record<Breakdown, string> = {
  brand: "Figures split by brand (one operator's casinos or shops), as the platform names them.",
  campaign: 'Figures split by campaign, tracker or sub-ID, as the platform names them.',
}

/** Input-field description: the label on the first line, then where to find the value; forms split on the blank line. */
export function describeConnectionField(field: ConnectionField): string {
  return `${field.label}\n\n${field.help}\n\nExample: ${field.example}`
}

export function registerPlatformSchema(builder: AppBuilder, registry: PlatformRegistry) {
  const MetricEnum = builder.enumType('Metric', {
    description:
      'A normalised statistic. Counts are whole numbers (`Count`); money metrics are exact decimals (`Decimal`) in ' +
      'the currency of the row they appear in.',
    values: Object.fromEntries(
      METRICS.map((m) => [
        SCREAMING(m),
        {
          value: m,
          description: `${METRIC_DESCRIPTIONS[m]} ${(MONEY_METRICS as readonly string[]).includes(m) ? 'Money.' : 'A count.'}`,
        },
      ]),
    ),
  })
  const BreakdownEnum = builder.enumType('Breakdown', {
    description: "A split of a platform's daily figures below the account, which the platform can report.",
    values: Object.fromEntries(
      BREAKDOWNS.map((b) => [SCREAMING(b), { value: b, description: BREAKDOWN_DESCRIPTIONS[b] }]),
    ),
  })
  const FieldInputTypeEnum = builder.enumType('ConnectionFieldInputType', {
    description: 'How a connect form should render a field, and which scalar its input field has.',
    values: {
      TEXT: { value: 'text', description: 'Plain text (`String`), shown back to the user.' },
      SECRET: {
        value: 'secret',
        description: 'A credential (`Secret`): render a password input; the value is write-only.',
      },
      URL: {
        value: 'url',
        description: "An absolute http(s) address (`URL`): the program's base URL or an API address.",
      },
    } as const,
  })

  const ConnectionFieldSpecRef = builder.objectRef<ConnectionFieldSpec>('ConnectionFieldSpec').implement({
    description:
      'One field of a platform connect form (the same facts introspection gives on its input type).',
    fields: (t) => ({
      name: t.string({
        nullable: false,
        description: 'Name of the input field in the platform\'s connection input type, e.g. "apiKey".',
        resolve: (f) => f.name,
      }),
      label: t.string({
        nullable: false,
        description: "Short label for the form, as the platform's own UI names the value.",
        resolve: (f) => f.field.label,
      }),
      help: t.string({
        nullable: false,
        description: 'Where the user finds the value, in plain prose.',
        resolve: (f) => f.field.help,
      }),
      secret: t.boolean({
        nullable: false,
        description: 'True for a credential: render a password input; the value is never returned.',
        resolve: (f) => f.field.secret,
      }),
      required: t.boolean({
        nullable: false,
        description:
          'False when the field may be left out (or sent empty); its input field is then nullable.',
        resolve: (f) => f.field.required,
      }),
      example: t.string({
        nullable: false,
        description:
          'A realistic but fake example value, suitable as a placeholder; never a real credential.',
        resolve: (f) => f.field.example,
      }),
      defaultValue: t.string({
        nullable: true,
        description:
          'The value used when an optional field is left out, as plain text (not a GraphQL literal); the input ' +
          "field's `defaultValue` in introspection is the same value. Null when there is none, or when it " +
          'depends on other fields (the help text says how).',
        resolve: (f) => f.field.default,
      }),
      inputType: t.field({
        type: FieldInputTypeEnum,
        nullable: false,
        description: 'How to render the field; it also names the scalar of the input field.',
        resolve: (f) => f.field.kind,
      }),
    }),
  })

  const RateLimitRef = builder.objectRef<{ requests: number; intervalMs: number }>('RateLimit').implement({
    description:
      'A request budget affgraph keeps to when calling the platform: at most `requests` calls in any window of ' +
      '`intervalMs` milliseconds.',
    fields: (t) => ({
      requests: t.exposeInt('requests', {
        nullable: false,
        description: 'Calls allowed per window; at least 1.',
      }),
      intervalMs: t.exposeInt('intervalMs', {
        nullable: false,
        description: 'Length of the window, in milliseconds.',
      }),
    }),
  })

  const CapabilitiesRef = builder.objectRef<LoadedPlatform>('PlatformCapabilities').implement({
    description: 'What a platform reports and how affgraph may ask for it.',
    fields: (t) => ({
      metrics: t.field({
        type: [MetricEnum],
        nullable: false,
        description:
          'Metrics the platform reports. Stats of its accounts give null, never 0, for every other metric.',
        resolve: (p) => p.definition.capabilities.metrics,
      }),
      breakdowns: t.field({
        type: [BreakdownEnum],
        nullable: false,
        description: 'Splits below the account the platform reports; empty when it gives one row per day.',
        resolve: (p) => p.definition.capabilities.breakdowns,
      }),
      timeZone: t.string({
        nullable: false,
        description: 'IANA time zone in which the platform counts its days.',
        resolve: (p) => p.definition.capabilities.timeZone,
      }),
      perProgramHost: t.boolean({
        nullable: false,
        description: "True when each program runs at its own domain, entered as the connection's base URL.",
        resolve: (p) => p.definition.capabilities.perProgramHost,
      }),
      lookbackDays: t.int({
        nullable: false,
        description:
          'Past days a periodic sync re-fetches by default, for figures the platform revises later (approvals, reversals); each account may change it.',
        resolve: (p) => p.definition.capabilities.lookbackDays ?? DEFAULT_LOOKBACK_DAYS,
      }),
      maxWindowDays: t.int({
        nullable: false,
        description:
          'Most days one report request may span; longer fetches are split into windows this long.',
        resolve: (p) => p.definition.limits.maxWindowDays,
      }),
      perHostRateLimit: t.field({
        type: RateLimitRef,
        nullable: true,
        description:
          'Budget shared by every account calling the same platform host; null when the platform states none.',
        resolve: (p) => p.definition.limits.perHost,
      }),
      perAccountRateLimit: t.field({
        type: RateLimitRef,
        nullable: true,
        description: 'Budget of each account on its own; null when the platform states none.',
        resolve: (p) => p.definition.limits.perAccount,
      }),
    }),
  })

  const MaturityEnum = builder.enumType('PlatformMaturity', {
    description:
      'How far a connector is known to match its platform, derived from the evidence its plugin declares for the ' +
      'wire facts it relies on (endpoint, credentials, fields).',
    values: {
      VERIFIED: {
        value: 'verified',
        description:
          "Built from the vendor's samples: its requests and the answers it reads rest on the platform's own published samples or on runs against live accounts.",
      },
      DOCUMENTED: {
        value: 'documented',
        description:
          'Documented, not yet confirmed on a live account: the vendor or working clients describe what it relies on, without a sample of every answer.',
      },
      ASSUMED: {
        value: 'assumed',
        description:
          'Not confirmed: some fact it depends on (the endpoint, the credentials or the fields) has no public source. Please report problems with a capture.',
      },
    } satisfies Record<string, { value: PlatformMaturity; description: string }>,
  })
  const TopicEnum = builder.enumType('EvidenceTopic', {
    description: 'What part of the wire a fact is about.',
    values: Object.fromEntries(
      EVIDENCE_TOPICS.map((topic) => [SCREAMING(topic), { value: topic, description: TOPIC_TEXT[topic] }]),
    ),
  })
  const ConfidenceEnum = builder.enumType('EvidenceConfidence', {
    description: 'How a fact is known, strongest first.',
    values: Object.fromEntries(
      EVIDENCE_CONFIDENCES.map((c) => [
        SCREAMING(c).replace(/-/g, '_'),
        { value: c, description: CONFIDENCE_TEXT[c] },
      ]),
    ),
  })
  const SourceRef = builder.objectRef<EvidenceSource>('EvidenceSource').implement({
    description: 'A public place where a fact can be checked.',
    fields: (t) => ({
      title: t.exposeString('title', {
        nullable: false,
        description: 'What the source is, and where in it to look.',
      }),
      url: t.field({
        type: 'URL',
        nullable: true,
        description: 'Address of the source; null for one that is not online (e.g. a file in a vendor pack).',
        resolve: (s) => s.url ?? null,
      }),
    }),
  })
  const FactRef = builder.objectRef<EvidenceFact>('EvidenceFact').implement({
    description: 'One wire fact a plugin relies on, with how it is known.',
    fields: (t) => ({
      id: t.exposeString('id', { nullable: false, description: 'Stable within the plugin, kebab-case.' }),
      topic: t.field({
        type: TopicEnum,
        nullable: false,
        description: 'The part of the wire the fact is about.',
        resolve: (f) => f.topic,
      }),
      fact: t.exposeString('fact', { nullable: false, description: 'The fact, in one or two sentences.' }),
      confidence: t.field({
        type: ConfidenceEnum,
        nullable: false,
        description: 'How the fact is known.',
        resolve: (f) => f.confidence,
      }),
      sources: t.field({
        type: [SourceRef],
        nullable: false,
        description: 'Where the fact can be checked; empty for an assumption.',
        resolve: (f) => f.sources,
      }),
    }),
  })

  const HorizonKindEnum = builder.enumType('RevisionHorizonKind', {
    description: "How a platform's days become final.",
    values: {
      ROLLING_DAYS: { description: 'A day is settled once `days` full days have passed after it.' },
      MONTH_CLOSE: {
        description:
          "A day is settled once its month has ended and `monthCloseAfterDays` full days of the next month have passed (the month's statement).",
      },
      ROLLING_DAYS_AND_MONTH_CLOSE: { description: 'A day is settled once both rules say so.' },
    } as const,
  })

  type HorizonOfPlatform = { platform: LoadedPlatform; horizon: EffectiveHorizon }
  const HorizonRef = builder.objectRef<HorizonOfPlatform>('RevisionHorizon').implement({
    description:
      "How long a platform keeps changing a day's figures after the day (conversions approved or reversed, refunds, " +
      'revenue share final with the monthly statement). Stats mark the days inside it as not settled.',
    fields: (t) => ({
      kind: t.field({
        type: HorizonKindEnum,
        nullable: false,
        description: 'Which rule settles a day.',
        resolve: ({ horizon: h }) =>
          h.days !== null && h.monthCloseAfterDays !== null
            ? 'ROLLING_DAYS_AND_MONTH_CLOSE'
            : h.monthCloseAfterDays !== null
              ? 'MONTH_CLOSE'
              : 'ROLLING_DAYS',
      }),
      days: t.int({
        nullable: true,
        description: 'Full days after a day until it is settled; null when only the month close counts.',
        resolve: ({ horizon }) => horizon.days,
      }),
      monthCloseAfterDays: t.int({
        nullable: true,
        description:
          "Full days of the next month after which a month's days are settled; null without a month close.",
        resolve: ({ horizon }) => horizon.monthCloseAfterDays,
      }),
      isDefault: t.boolean({
        nullable: false,
        description:
          "True when the plugin declares no horizon and affgraph applies its own conservative default (90 days) instead of the platform's.",
        resolve: ({ horizon }) => horizon.isDefault,
      }),
      evidence: t.field({
        type: FactRef,
        nullable: true,
        description:
          "The plugin's `revisions` fact the horizon rests on; its confidence says how well it is known. Null for the default.",
        resolve: ({ platform, horizon }) =>
          platform.definition.evidence?.find((f: EvidenceFact) => f.id === horizon.evidence) ?? null,
      }),
      settledThrough: t.field({
        type: 'Date',
        nullable: false,
        description:
          "The last settled day today, counted in the platform's time zone (`capabilities.timeZone`); an account in another zone may differ by a day.",
        resolve: ({ platform, horizon }, _, ctx) =>
          settledThrough(
            horizon,
            platformToday(platform.definition.capabilities.timeZone, ctx.services.clock.now()),
          ),
      }),
    }),
  })

  const PlatformRef = builder.objectRef<LoadedPlatform>('Platform').implement({
    description: 'An affiliate platform affgraph can connect to, provided by a plugin.',
    fields: (t) => ({
      id: t.id({
        nullable: false,
        description: 'Stable plugin id, e.g. "softswiss".',
        resolve: (p) => p.definition.id,
      }),
      name: t.string({
        nullable: false,
        description: 'Display name, e.g. "SoftSwiss".',
        resolve: (p) => p.definition.name,
      }),
      version: t.string({
        nullable: false,
        description: "Version of the plugin (semantic versioning), not of the platform's API.",
        resolve: (p) => p.definition.version,
      }),
      description: t.string({
        nullable: false,
        description: 'What the platform is and which accounts it connects, in a sentence or two.',
        resolve: (p) => p.definition.description,
      }),
      docsUrl: t.field({
        type: 'URL',
        nullable: false,
        description: "The platform's own documentation of the API the plugin calls.",
        resolve: (p) => p.definition.docsUrl,
      }),
      capabilities: t.field({
        type: CapabilitiesRef,
        nullable: false,
        description: 'What the platform reports and the limits affgraph keeps to.',
        resolve: (p) => p,
      }),
      maturity: t.field({
        type: MaturityEnum,
        nullable: false,
        description:
          'How far this connector is known to match the platform; ASSUMED when the plugin declares no evidence.',
        resolve: (p) => platformMaturity(p.definition.evidence ?? []),
      }),
      reportsPayments: t.boolean({
        nullable: false,
        description:
          'Whether the plugin reads the payments the platform reports (`fetchPlatformPayments`, and every sync); ' +
          'how far that is known is in the evidence of topic PAYMENTS.',
        resolve: (p) => p.definition.capabilities.payments !== undefined,
      }),
      revisionHorizon: t.field({
        type: HorizonRef,
        nullable: false,
        description:
          "How long the platform keeps changing a day's figures: the plugin's declared horizon, or affgraph's default (`isDefault`).",
        resolve: (p) => ({ platform: p, horizon: horizonOf(p) }),
      }),
      evidence: t.field({
        type: [FactRef],
        nullable: false,
        description: 'The wire facts the plugin relies on, each with its sources and confidence.',
        resolve: (p) => p.definition.evidence ?? [],
      }),
      connectionInputType: t.string({
        nullable: false,
        description:
          'Name of the input type holding this platform\'s connection fields, e.g. "SoftSwissConnectionInput".',
        resolve: (p) => `${p.typeName}ConnectionInput`,
      }),
      connectionInputField: t.string({
        nullable: false,
        description: 'Field of `ConnectionInput` that selects this platform, e.g. "softSwiss".',
        resolve: (p) => p.fieldName,
      }),
      connectionFields: t.field({
        type: [ConnectionFieldSpecRef],
        nullable: false,
        description:
          "The connect form in display order: one entry per field of the platform's connection input type, with " +
          'its label, help, example, default and rendering as structured values.',
        resolve: (p) => p.fieldNames.map((name) => ({ name, field: p.definition.connection.fields[name]! })),
      }),
    }),
  })

  // One input type per plugin, its fields and descriptions taken from the plugin's declaration, validated by the
  // plugin's own zod schema before any resolver runs (which also applies its normalisation, e.g. token extraction).
  const platformInputs = registry.all().map((platform) => {
    const fields = platform.definition.connection.fields
    const ref = builder.inputType(`${platform.typeName}ConnectionInput`, {
      description: `Connection to one ${platform.definition.name} account. ${platform.definition.description}`,
      // The schema's output may be normalised (a pasted export URL becomes a token), hence the cast.
      validate: {
        schema: platform.definition.connection.schema as unknown as z.ZodType<Record<string, string>>,
      },
      fields: (t) =>
        Object.fromEntries(
          platform.fieldNames.map((name) => {
            const f = fields[name]!
            // A required field never has a default (defineConnection refuses one), so `required` and
            // `defaultValue` cannot meet in one field.
            const options = {
              required: f.required,
              description: describeConnectionField(f),
              ...(f.default === null ? {} : { defaultValue: f.default }),
            } as { required: boolean; description: string }
            const inputField =
              f.kind === 'secret'
                ? t.field({ type: 'Secret', ...options })
                : f.kind === 'url'
                  ? t.field({ type: 'URL', ...options })
                  : t.string(options)
            return [name, inputField]
          }),
        ),
    })
    return { platform, ref }
  })

  const ConnectionInput = builder.inputType('ConnectionInput', {
    description: "Exactly one platform, with that platform's connection fields.",
    isOneOf: true,
    fields: (t) =>
      Object.fromEntries(
        platformInputs.map(({ platform, ref }) => [
          platform.fieldName,
          t.field({
            type: ref,
            required: false,
            description: `${platform.definition.name} (plugin "${platform.definition.id}").`,
          }),
        ]),
      ),
  })

  builder.queryField('platforms', (t) =>
    t.field({
      type: [PlatformRef],
      nullable: false,
      description: 'Every platform plugin this server has loaded. Needs no token.',
      resolve: () => registry.all(),
    }),
  )
  builder.queryField('platform', (t) =>
    t.field({
      type: PlatformRef,
      nullable: true,
      description: 'One platform by its plugin id (`Platform.id`); null when no loaded plugin has that id.',
      args: { id: t.arg.id({ required: true, description: 'The plugin id, e.g. "softswiss".' }) },
      resolve: (_, args, ctx) => {
        // Only `platforms` is public (see the Query description); everything else needs a token.
        requirePrincipal(ctx)
        return registry.get(String(args.id)) ?? null
      },
    }),
  )

  return { PlatformRef, ConnectionInput, MetricEnum }
}

/** The one platform a oneOf `ConnectionInput` value selects, with its parsed connection. */
export function selectedPlatform(
  registry: PlatformRegistry,
  input: Record<string, unknown>,
): { platform: LoadedPlatform; connection: Record<string, unknown> } {
  const entries = Object.entries(input).filter(([, v]) => v !== undefined && v !== null)
  const [fieldName, connection] = entries[0] ?? []
  const platform = fieldName ? registry.byFieldName(fieldName) : undefined
  if (entries.length !== 1 || !platform) throw new Error('ConnectionInput must select exactly one platform')
  return { platform, connection: connection as Record<string, unknown> }
}
