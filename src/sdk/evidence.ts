import { z } from 'zod'

/**
 * Evidence: what a plugin knows about its platform's wire format, and how it knows it. No machine that builds or
 * tests affgraph reaches a real platform, so every wire fact a plugin relies on names its public source and a
 * confidence, and the host derives from them how far a user can trust the connector.
 */

/** How a fact is known, strongest first. */
export const EVIDENCE_CONFIDENCES = [
  /** The platform's own artefact: docs page, OpenAPI, Postman collection, XSD, a published sample. */
  'vendor',
  /** A vendor artefact preserved by a third party (scraped docs, a copied collection). */
  'vendor-copy',
  /** Third-party code whose history shows it ran against the live API. */
  'code-live',
  /** Third-party client code with no proof of a live run. */
  'code',
  /** Our inference from related facts. */
  'inferred',
  /** Nothing public says so: the plugin assumes it and reads defensively. */
  'assumed',
] as const
export type EvidenceConfidence = (typeof EVIDENCE_CONFIDENCES)[number]

/** What part of the wire a fact is about. */
export const EVIDENCE_TOPICS = [
  'endpoint',
  'auth',
  'parameters',
  'paging',
  'fields',
  'errors',
  'limits',
  'revisions',
  'identity',
  'payments',
] as const
export type EvidenceTopic = (typeof EVIDENCE_TOPICS)[number]

export interface EvidenceSource {
  /** A public address where the fact can be checked. */
  url?: string
  /** What the source is (and where in it to look), for sources without an address of their own. */
  title: string
}

export interface EvidenceFact {
  /** Stable kebab-case id within the plugin, e.g. `statistics-daily-breakdown`. */
  id: string
  topic: EvidenceTopic
  /** The fact, in one sentence a user can read. */
  fact: string
  confidence: EvidenceConfidence
  /** At least one source, except for `assumed` facts. */
  sources: EvidenceSource[]
}

/**
 * How far a connector is known to match its platform:
 * - `verified`: its request and response rest on the vendor's own samples or on live runs;
 * - `documented`: described by the vendor or by working clients, without a sample of every answer;
 * - `assumed`: some fact the plugin depends on (the endpoint, the credentials or the fields) has no public source.
 */
export const PLATFORM_MATURITIES = ['verified', 'documented', 'assumed'] as const
export type PlatformMaturity = (typeof PLATFORM_MATURITIES)[number]

/** The topics a connector cannot work without: if any of them is assumed, so is the connector. */
const CRITICAL_TOPICS: readonly EvidenceTopic[] = ['endpoint', 'auth', 'fields']
const STRONG: readonly EvidenceConfidence[] = ['vendor', 'vendor-copy', 'code-live']

export function platformMaturity(evidence: readonly EvidenceFact[]): PlatformMaturity {
  const critical = evidence.filter((f) => CRITICAL_TOPICS.includes(f.topic))
  const covered = CRITICAL_TOPICS.every((topic) => critical.some((f) => f.topic === topic))
  if (!covered || critical.some((f) => f.confidence === 'assumed' || f.confidence === 'inferred'))
    return 'assumed'
  return critical.every((f) => STRONG.includes(f.confidence)) ? 'verified' : 'documented'
}

export const evidenceFactSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be kebab-case'),
    topic: z.enum(EVIDENCE_TOPICS),
    fact: z.string().min(10).max(600),
    confidence: z.enum(EVIDENCE_CONFIDENCES),
    sources: z.array(
      z.object({ url: z.url({ protocol: /^https?$/ }).optional(), title: z.string().min(3).max(300) }),
    ),
  })
  .refine((f) => f.confidence === 'assumed' || f.sources.length > 0, {
    message: 'a fact that is not assumed names at least one source',
    path: ['sources'],
  })

export const evidenceSchema = z.array(evidenceFactSchema).superRefine((facts, ctx) => {
  const seen = new Set<string>()
  for (const [i, f] of facts.entries()) {
    if (seen.has(f.id))
      ctx.addIssue({ code: 'custom', message: `duplicate fact id "${f.id}"`, path: [i, 'id'] })
    seen.add(f.id)
  }
})

/** A fact nothing public states: the plugin assumes it (and reads defensively), so it has no source. */
export function assumedFact(id: string, topic: EvidenceTopic, fact: string): EvidenceFact {
  return { id, topic, fact, confidence: 'assumed', sources: [] }
}

/** Declares a plugin's evidence; typed, so a fact without a topic or confidence does not compile. */
export function defineEvidence(facts: EvidenceFact[]): EvidenceFact[] {
  return facts
}
