import { type AppBuilder, requirePrincipal } from '../schema/builder.ts'
import { BREAKDOWNS, type ConnectionField, METRICS, type z } from '../sdk/index.ts'
import type { LoadedPlatform, PlatformRegistry } from './platform-registry.ts'

interface ConnectionFieldSpec {
  name: string
  field: ConnectionField
}

const SCREAMING = (value: string) => value.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()

/** Input-field description: the label on the first line, then where to find the value; forms split on the blank line. */
export function describeConnectionField(field: ConnectionField): string {
  return `${field.label}\n\n${field.help}\n\nExample: ${field.example}`
}

export function registerPlatformSchema(builder: AppBuilder, registry: PlatformRegistry) {
  const MetricEnum = builder.enumType('Metric', {
    description: 'A normalised statistic. Money metrics are exact decimals in the row currency.',
    values: Object.fromEntries(METRICS.map((m) => [SCREAMING(m), { value: m }])),
  })
  const BreakdownEnum = builder.enumType('Breakdown', {
    values: Object.fromEntries(BREAKDOWNS.map((b) => [SCREAMING(b), { value: b }])),
  })
  const FieldInputTypeEnum = builder.enumType('ConnectionFieldInputType', {
    description: 'How a connect form should render a field.',
    values: {
      TEXT: { value: 'text', description: 'Plain text, shown back to the user.' },
      SECRET: { value: 'secret', description: 'A credential: a password input; write-only.' },
      URL: { value: 'url', description: "The program's base URL." },
    } as const,
  })

  const ConnectionFieldSpecRef = builder.objectRef<ConnectionFieldSpec>('ConnectionFieldSpec').implement({
    description:
      'One field of a platform connect form (the same facts introspection gives on its input type).',
    fields: (t) => ({
      name: t.string({ nullable: false, resolve: (f) => f.name }),
      label: t.string({ nullable: false, resolve: (f) => f.field.label }),
      help: t.string({
        nullable: false,
        description: 'Where the user finds the value.',
        resolve: (f) => f.field.help,
      }),
      secret: t.boolean({ nullable: false, resolve: (f) => f.field.secret }),
      required: t.boolean({ nullable: false, resolve: (f) => f.field.required }),
      example: t.string({ nullable: false, resolve: (f) => f.field.example }),
      inputType: t.field({ type: FieldInputTypeEnum, nullable: false, resolve: (f) => f.field.kind }),
    }),
  })

  const RateLimitRef = builder.objectRef<{ requests: number; intervalMs: number }>('RateLimit').implement({
    fields: (t) => ({
      requests: t.exposeInt('requests', { nullable: false }),
      intervalMs: t.exposeInt('intervalMs', { nullable: false }),
    }),
  })

  const CapabilitiesRef = builder.objectRef<LoadedPlatform>('PlatformCapabilities').implement({
    fields: (t) => ({
      metrics: t.field({
        type: [MetricEnum],
        nullable: false,
        resolve: (p) => p.definition.capabilities.metrics,
      }),
      breakdowns: t.field({
        type: [BreakdownEnum],
        nullable: false,
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
      maxWindowDays: t.int({ nullable: false, resolve: (p) => p.definition.limits.maxWindowDays }),
      perHostRateLimit: t.field({
        type: RateLimitRef,
        nullable: true,
        resolve: (p) => p.definition.limits.perHost,
      }),
      perAccountRateLimit: t.field({
        type: RateLimitRef,
        nullable: true,
        resolve: (p) => p.definition.limits.perAccount,
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
      name: t.string({ nullable: false, resolve: (p) => p.definition.name }),
      version: t.string({ nullable: false, resolve: (p) => p.definition.version }),
      description: t.string({ nullable: false, resolve: (p) => p.definition.description }),
      docsUrl: t.field({ type: 'URL', nullable: false, resolve: (p) => p.definition.docsUrl }),
      capabilities: t.field({ type: CapabilitiesRef, nullable: false, resolve: (p) => p }),
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
            const options = { required: f.required, description: describeConnectionField(f) }
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
      args: { id: t.arg.id({ required: true }) },
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
