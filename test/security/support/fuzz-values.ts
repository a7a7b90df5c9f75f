import fc from 'fast-check'
import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputObjectType,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
} from 'graphql'

/**
 * Random and boundary values for every input type of a schema, read from the schema itself: a type, field or
 * argument added tomorrow is fuzzed without a change here. Two modes: `typed` values are what the GraphQL type
 * admits (so they get past variable coercion and reach scalars, zod schemas, resolvers and the database), `wild`
 * values are anything JSON can carry.
 */

export const MEBIBYTE = 1024 * 1024

/** Strings that have broken servers before: sizes, encodings, control characters, injections, number look-alikes. */
export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  '\t\r\n',
  '\u0000',
  'a\u0000b',
  '\u0001\u0002\u001b[31m\u007f',
  '\u202eevil\u202c',
  '\ufeffbom',
  '\ud800',
  '\udfff\ud800',
  '😀👩‍👩‍👧‍👦🏳️‍🌈',
  'ｆｕｌｌｗｉｄｔｈ',
  'Ω≈ç√∫˜µ≤≥÷',
  'ﷺ',
  'null',
  'undefined',
  'true',
  'NaN',
  'Infinity',
  '-Infinity',
  '-0',
  '0x1F',
  '1e309',
  '9'.repeat(400),
  '-1',
  '2147483648',
  "' OR 1=1 --",
  "'; DROP TABLE account; --",
  '"; SELECT pg_sleep(10); --',
  '$1',
  '%s%s%s%n',
  '\\',
  '\\u0000',
  '../../../../etc/passwd',
  '..\\..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '/dev/zero',
  'file:///etc/passwd',
  '\u0024{jndi:ldap://127.0.0.1/a}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'a'.repeat(255),
  'a'.repeat(256),
  'é'.repeat(10_000),
]

/** Big strings are made once: a 1 MiB string of one byte per character and one of four bytes per character. */
export const HUGE_STRINGS: readonly string[] = ['x'.repeat(MEBIBYTE), '😀'.repeat(MEBIBYTE / 4)]

const DATES = [
  '2026-02-30',
  '2026-02-29',
  '2024-02-29',
  '0000-01-01',
  '0001-01-01',
  '9999-12-31',
  '10000-01-01',
  '2026-13-01',
  '2026-00-10',
  '2026-1-1',
  '20260101',
  '2026-01-01T00:00:00Z',
  '-001000-01-01',
  '+275760-09-13',
  '1970-01-01',
  '2026-01-01',
  '2026-01-31',
]

const DATE_TIMES = [
  '2026-01-01T00:00:00Z',
  '2026-02-30T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z',
  '+275760-09-13T00:00:00.000Z',
  '-271821-04-20T00:00:00.000Z',
  '+100000-01-01T00:00:00Z',
  '1969-12-31T23:59:59Z',
  '2026-01-01T25:61:61Z',
  '0',
  '1',
  'now',
]

const URLS = [
  'https://affiliates.example.com',
  'http://127.0.0.1:1',
  'http://localhost',
  'http://[::1]/',
  'http://169.254.169.254/latest/meta-data/',
  'http://0x7f000001/',
  'http://2130706433/',
  'http://user:pass@127.0.0.1:1/',
  'ftp://127.0.0.1/',
  'file:///etc/passwd',
  'javascript:alert(1)',
  'data:text/plain,hi',
  'https://',
  'https://a b.example',
  'https://xn--80ak6aa92e.example',
  `https://example.com/${'a'.repeat(5000)}`,
  '//example.com',
  'example.com',
]

const DECIMALS = [
  '0',
  '-0',
  '1.5',
  '-0.25',
  '1e5',
  '1E-5',
  '.5',
  '5.',
  '1,5',
  `1${'0'.repeat(500)}`,
  `0.${'1'.repeat(500)}`,
]

const INTS = [0, 1, -1, 2, 50, 100, 1000, 1001, 2147483647, -2147483648, 65535]
const NUMBERS = [
  2147483648,
  -2147483649,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  -Number.MAX_SAFE_INTEGER,
  1e308,
  -1e308,
  5e-324,
  0.5,
  -0.5,
  1.0000001,
]

/** Deeply nested JSON arrays: `depth` levels around one value. */
function nested(depth: number, inner: unknown): unknown {
  let value = inner
  for (let i = 0; i < depth; i++) value = [value]
  return value
}

/** Values of every JSON shape: the wrong type for nearly any argument. */
export const wrongTypeArbitrary: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    -1,
    1.5,
    '',
    {},
    [],
    [null],
    { __proto__: 1 },
    { constructor: { prototype: {} } },
    nested(64, 1),
    nested(2000, 'deep'),
    Array.from({ length: 10_000 }, (_, i) => i),
  ),
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(...NUMBERS),
)

export const nastyStringArbitrary: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 6 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 64 }), weight: 3 },
  { arbitrary: fc.constantFrom(...HUGE_STRINGS), weight: 1 },
)

export interface FuzzValueOptions {
  /** Ids that exist in the fuzzed workspace and may be changed; never the ids of records the run must keep. */
  ids: readonly string[]
  /** Well-formed values per input type name (a working connection, a sensible range), mutated one field at a time. */
  samples: Readonly<Record<string, readonly Record<string, unknown>[]>>
  /** Extra typed arbitraries for one `Type.field` (e.g. CSV text for an import). */
  fieldArbitraries?: Readonly<Record<string, fc.Arbitrary<unknown>>>
}

type Mode = 'typed' | 'wild'

export class FuzzValues {
  readonly #cache = new Map<string, fc.Arbitrary<unknown>>()

  readonly options: FuzzValueOptions

  constructor(options: FuzzValueOptions) {
    this.options = options
  }

  /** A value for a variable or field of the given type; `typed` values stray into `wild` now and then. */
  forType(type: GraphQLInputType, mode: Mode, depth = 0): fc.Arbitrary<unknown> {
    const key = `${String(type)}|${mode}|${depth}`
    let arbitrary = this.#cache.get(key)
    if (!arbitrary) {
      // Built on first use, not here: input types may refer to each other, and a oneOf to its members.
      let built: fc.Arbitrary<unknown> | undefined
      arbitrary = fc.constant(null).chain(() => {
        built ??= this.#build(type, mode, depth)
        return built
      })
      this.#cache.set(key, arbitrary)
    }
    return arbitrary
  }

  #build(type: GraphQLInputType, mode: Mode, depth: number): fc.Arbitrary<unknown> {
    if (mode === 'wild') {
      return fc.oneof(
        { arbitrary: wrongTypeArbitrary, weight: 3 },
        { arbitrary: nastyStringArbitrary, weight: 2 },
        { arbitrary: this.#typed(type, depth), weight: 3 },
      )
    }
    return fc.oneof(
      { arbitrary: this.#typed(type, depth), weight: 19 },
      { arbitrary: fc.oneof(wrongTypeArbitrary, nastyStringArbitrary), weight: 1 },
    )
  }

  #typed(type: GraphQLInputType, depth: number): fc.Arbitrary<unknown> {
    if (isNonNullType(type)) return this.forType(type.ofType, 'typed', depth)
    if (isListType(type)) {
      const item = this.forType(type.ofType as GraphQLInputType, 'typed', depth + 1)
      return fc.oneof(
        { arbitrary: fc.array(item, { maxLength: 4 }), weight: 6 },
        // A single value where a list is expected is legal GraphQL (input coercion wraps it).
        { arbitrary: item, weight: 1 },
        { arbitrary: fc.constant([]), weight: 1 },
        // Past every "at most 1000" limit; small items, so that the body stays below the body cap.
        {
          arbitrary: fc
            .integer({ min: 1001, max: 1200 })
            .map((n) => Array.from({ length: n }, (_, i) => `${i}`)),
          weight: 1,
        },
      )
    }
    if (isEnumType(type)) {
      const values = type.getValues().map((v) => v.name)
      return fc.oneof(
        { arbitrary: fc.constantFrom(...values), weight: 8 },
        { arbitrary: fc.constantFrom(...values.map((v) => v.toLowerCase()), `${values[0]}_NOPE`), weight: 1 },
      )
    }
    if (isInputObjectType(type)) return depth > 6 ? fc.constant({}) : this.#inputObject(type, depth)
    if (isScalarType(type)) return this.#scalar(type.name)
    return wrongTypeArbitrary
  }

  #scalar(name: string): fc.Arbitrary<unknown> {
    const strings = (typed: fc.Arbitrary<string>) =>
      fc.oneof({ arbitrary: typed, weight: 3 }, { arbitrary: nastyStringArbitrary, weight: 2 })
    switch (name) {
      case 'String':
      case 'Secret':
        return fc.oneof(nastyStringArbitrary, fc.string({ maxLength: 40 }))
      case 'ID':
        return fc.oneof(
          { arbitrary: fc.constantFrom(...this.options.ids), weight: 3 },
          { arbitrary: fc.uuid(), weight: 1 },
          { arbitrary: fc.constantFrom('00000000-0000-0000-0000-000000000000', '1', '-1', '0'), weight: 1 },
          { arbitrary: nastyStringArbitrary, weight: 2 },
          // Int values are legal IDs in GraphQL.
          { arbitrary: fc.constantFrom(...INTS), weight: 1 },
        )
      case 'Int':
        return fc.oneof(fc.constantFrom(...INTS), fc.integer())
      case 'Float':
        return fc.oneof(
          fc.constantFrom(...INTS, ...NUMBERS),
          fc.double({ noNaN: true, noDefaultInfinity: true }),
        )
      case 'Boolean':
        return fc.boolean()
      case 'Date':
        return strings(
          fc.oneof(
            fc.constantFrom(...DATES),
            fc
              .date({ min: new Date('1900-01-01'), max: new Date('2100-12-31'), noInvalidDate: true })
              .map((d) => d.toISOString().slice(0, 10)),
          ),
        )
      case 'DateTime':
        return strings(
          fc.oneof(
            fc.constantFrom(...DATE_TIMES),
            fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          ),
        )
      case 'URL':
        return strings(fc.constantFrom(...URLS))
      case 'Decimal':
        return strings(fc.constantFrom(...DECIMALS))
      case 'Count':
        return fc.oneof(fc.constantFrom(...INTS, ...NUMBERS), fc.integer())
      default:
        return fc.oneof(nastyStringArbitrary, wrongTypeArbitrary)
    }
  }

  #inputObject(type: GraphQLInputObjectType, depth: number): fc.Arbitrary<unknown> {
    const fields = Object.values(type.getFields())
    const fieldValue = (name: string, fieldType: GraphQLInputType) =>
      this.options.fieldArbitraries?.[`${type.name}.${name}`] ?? this.forType(fieldType, 'typed', depth + 1)
    const unknownField = fc.constantFrom('unknownField', '__proto__', 'constructor', 'fromm')

    // One field picked at random: a oneOf input wants exactly one, so this is also the well-formed oneOf shape.
    const oneField = fc
      .constantFrom(...fields)
      .chain((f) => fieldValue(f.name, f.type).map((v) => ({ [f.name]: v })))
    if (type.isOneOf) {
      const severalFields = fc.tuple(oneField, oneField).map(([a, b]) => ({ ...a, ...b }))
      return fc.oneof(
        { arbitrary: oneField, weight: 6 },
        { arbitrary: this.#fromSample(type, depth), weight: 6 },
        { arbitrary: severalFields, weight: 1 },
        { arbitrary: fc.constant({}), weight: 1 },
      )
    }

    const record = fc.record(
      Object.fromEntries(fields.map((f) => [f.name, fieldValue(f.name, f.type)])) as Record<
        string,
        fc.Arbitrary<unknown>
      >,
      { requiredKeys: [] },
    )
    const withUnknown = fc.tuple(record, unknownField, nastyStringArbitrary).map(([value, key, extra]) =>
      Object.defineProperty({ ...(value as object) }, key, {
        value: extra,
        enumerable: true,
      }),
    )
    return fc.oneof(
      { arbitrary: record, weight: 4 },
      { arbitrary: this.#fromSample(type, depth), weight: 4 },
      { arbitrary: withUnknown, weight: 1 },
    )
  }

  /**
   * A known good value of the type (or of the oneOf member) with one field replaced or dropped: inputs one step
   * from valid reach the deepest code (platform checks, SQL) instead of stopping at coercion.
   */
  #fromSample(type: GraphQLInputObjectType, depth: number): fc.Arbitrary<unknown> {
    if (type.isOneOf) {
      const members = Object.values(type.getFields()).filter((f) => {
        const named = getNamedType(f.type)
        return isInputObjectType(named) && this.options.samples[named.name]?.length
      })
      if (members.length === 0) return fc.constant({})
      return fc.constantFrom(...members).chain((member) => {
        const named = getNamedType(member.type) as GraphQLInputObjectType
        return this.#fromSample(named, depth + 1).map((v) => ({ [member.name]: v }))
      })
    }
    const samples = this.options.samples[type.name]
    if (!samples?.length) return this.#typedRecordOfAllFields(type, depth)
    const fields = Object.values(type.getFields())
    return fc
      .tuple(fc.constantFrom(...samples), fc.constantFrom(...fields), fc.nat(9))
      .chain(([sample, field, roll]) => {
        if (roll === 0) return fc.constant({ ...sample })
        if (roll === 1) {
          const { [field.name]: _dropped, ...rest } = sample
          return fc.constant(rest)
        }
        const mode: Mode = roll < 4 ? 'wild' : 'typed'
        const value =
          this.options.fieldArbitraries?.[`${type.name}.${field.name}`] ??
          this.forType(field.type, mode, depth + 1)
        return value.map((v) => ({ ...sample, [field.name]: v }))
      })
  }

  #typedRecordOfAllFields(type: GraphQLInputObjectType, depth: number): fc.Arbitrary<unknown> {
    const fields = Object.values(type.getFields())
    return fc.record(
      Object.fromEntries(
        fields.map((f) => [
          f.name,
          this.options.fieldArbitraries?.[`${type.name}.${f.name}`] ??
            this.forType(f.type, 'typed', depth + 1),
        ]),
      ) as Record<string, fc.Arbitrary<unknown>>,
    )
  }
}

/** One GraphQL operation covering a root field: every argument (and those of nested fields) is a variable. */
export interface FuzzOperation {
  rootField: string
  operation: 'query' | 'mutation'
  document: string
  variables: { name: string; type: GraphQLInputType }[]
}

/** Fields with arguments below the root are selected too (e.g. `Account.stats`), down to this depth. */
const NESTED_DEPTH = 2

export function operationsOf(schema: GraphQLSchema): FuzzOperation[] {
  const roots: ['query' | 'mutation', GraphQLObjectType | null | undefined][] = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
  ]
  const operations: FuzzOperation[] = []
  for (const [operation, root] of roots) {
    if (!root) continue
    for (const field of Object.values(root.getFields())) {
      const variables: FuzzOperation['variables'] = []
      const call = fieldCall(field, variables, NESTED_DEPTH)
      const declared = variables.map((v) => `$${v.name}: ${String(v.type)}`).join(', ')
      const document = `${operation} Fuzz${declared ? `(${declared})` : ''} { ${call} }`
      operations.push({ rootField: field.name, operation, document, variables })
    }
  }
  return operations
}

function fieldCall(
  field: GraphQLField<unknown, unknown>,
  variables: FuzzOperation['variables'],
  depth: number,
): string {
  const args = field.args.map((arg: GraphQLArgument) => {
    const name = `v${variables.length}_${arg.name}`
    variables.push({ name, type: arg.type })
    return `${arg.name}: $${name}`
  })
  const selection = selectionOf(field.type, variables, depth)
  return `${field.name}${args.length ? `(${args.join(', ')})` : ''}${selection}`
}

function selectionOf(type: GraphQLOutputType, variables: FuzzOperation['variables'], depth: number): string {
  const named: GraphQLNamedType = getNamedType(type)
  if (isScalarType(named) || isEnumType(named)) return ''
  const parts = ['__typename']
  const objects: GraphQLObjectType[] = isObjectType(named)
    ? [named]
    : isUnionType(named)
      ? [...named.getTypes()]
      : isInterfaceType(named)
        ? []
        : []
  if (depth > 0) {
    for (const object of objects) {
      const inner: string[] = []
      for (const field of Object.values(object.getFields())) {
        if (field.args.length > 0) inner.push(fieldCall(field, variables, depth - 1))
        else if (depth > 1 && reachesArguments(field.type, depth - 1)) {
          inner.push(`${field.name}${selectionOf(field.type, variables, depth - 1)}`)
        }
      }
      if (inner.length === 0) continue
      parts.push(isObjectType(named) ? inner.join(' ') : `... on ${object.name} { ${inner.join(' ')} }`)
    }
  }
  return ` { ${parts.join(' ')} }`
}

function reachesArguments(type: GraphQLOutputType, depth: number): boolean {
  const named = getNamedType(type)
  if (!isObjectType(named) || depth <= 0) return false
  return Object.values(named.getFields()).some((f) => f.args.length > 0)
}

const forgedCursor = (text: string) => Buffer.from(text).toString('base64url')

/**
 * Values that once reached a statement PostgreSQL refuses: every text and ID argument gets each of the first
 * group, every day and instant the second or third. Sent one argument at a time, deterministically, so that no
 * sample size can miss them.
 */
export const EDGE_VALUES = {
  text: ['a\u0000b'],
  cursor: [
    forgedCursor('acct:2026-01-01T00:00:00.000Z|not-a-uuid'),
    forgedCursor('acct:+275760-09-13T00:00:00.000Z|00000000-0000-4000-8000-000000000000'),
    forgedCursor('chg:9999999999999999999'),
  ],
  day: ['0000-01-01', '2026-02-30'],
  instant: ['2026-02-30T00:00:00Z', '+275760-09-13T00:00:00.000Z'],
} as const

/** Each variant of `value` (of `type`) with one text, day or instant leaf replaced by an edge value. */
export function edgeVariants(type: GraphQLInputType, value: unknown, depth = 0, name = ''): unknown[] {
  if (isNonNullType(type)) return edgeVariants(type.ofType, value, depth, name)
  if (isListType(type)) {
    const items = Array.isArray(value) && value.length > 0 ? value : [undefined]
    return edgeVariants(type.ofType as GraphQLInputType, items[0], depth + 1).map((v) => [
      v,
      ...items.slice(1),
    ])
  }
  if (isScalarType(type)) {
    if (type.name === 'String' || type.name === 'ID')
      return /(^|_)after$/.test(name) ? [...EDGE_VALUES.text, ...EDGE_VALUES.cursor] : [...EDGE_VALUES.text]
    if (type.name === 'Date') return [...EDGE_VALUES.day]
    if (type.name === 'DateTime') return [...EDGE_VALUES.instant]
    return []
  }
  if (isInputObjectType(type) && depth < 4) {
    const base =
      value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
    return Object.values(type.getFields()).flatMap((field) =>
      edgeVariants(field.type, base[field.name], depth + 1, field.name).map((v) => ({
        ...base,
        [field.name]: v,
      })),
    )
  }
  return []
}
