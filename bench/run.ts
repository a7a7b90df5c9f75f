/**
 * `npm run bench` runs every benchmark; `npm run bench -- sync` (or `stats`, `dashboard`, `scale`, `statements`, `ingest`,
 * `load`, `rate-limit`, `startup`, `memory`) runs one.
 * Each prints its figures as ratios against a baseline measured in the same run.
 */
const wanted = new Set(process.argv.slice(2))
const all = !wanted.size

const benches: [string, string][] = [
  ['stats', './stats-vs-sql.bench.ts'],
  ['dashboard', './dashboard.bench.ts'],
  ['scale', './scale.bench.ts'],
  ['statements', './statements.bench.ts'],
  ['ingest', './ingest.bench.ts'],
  ['sync', './sync-floor.bench.ts'],
  ['load', './load.bench.ts'],
  ['rate-limit', './api-rate-limit.bench.ts'],
  ['startup', './startup.bench.ts'],
  ['memory', './memory.bench.ts'],
]

for (const [name, file] of benches) {
  if (!all && !wanted.has(name)) continue
  const mod = (await import(file)) as { main?: () => Promise<void> }
  if (!mod.main) throw new Error(`${file} exports no main()`)
  console.log(`\n== ${name} ==`)
  await mod.main()
}
