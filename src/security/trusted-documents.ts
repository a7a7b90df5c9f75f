import { createHash } from 'node:crypto'
import {
  defaultExtractPersistedOperationId,
  usePersistedOperations,
} from '@graphql-yoga/plugin-persisted-operations'
import { type DocumentNode, parse, print } from 'graphql'
import type { Plugin } from 'graphql-yoga'
import { rootFieldNames } from './root-fields.ts'

/** The stable `extensions.code` of an operation refused because it is not a trusted document. */
export const DOCUMENT_NOT_TRUSTED = 'DOCUMENT_NOT_TRUSTED'

/** The id the server gives a document of its own: the SHA-256 of its exact text, hex (as APQ clients compute it). */
export function documentIdOf(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/**
 * The GraphQL-over-HTTP persisted documents proposal prefixes ids with their hash algorithm (`sha256:…`); APQ
 * clients send the bare hash. Both name the same document.
 */
const bareId = (id: string) => id.replace(/^sha256:/i, '')

const INTROSPECTION_FIELDS = new Set(['__schema', '__type', '__typename'])

function parsed(text: string, maxTokens?: number): DocumentNode | null {
  try {
    return parse(text, { noLocation: true, ...(maxTokens ? { maxTokens } : {}) })
  } catch {
    return null
  }
}

export interface TrustedDocumentsOptions {
  /** Every trusted document by id: the operator's manifest with the web page's own documents merged in. */
  documents: Readonly<Record<string, string>>
  /** A text that is not listed as it is gets parsed to be compared; past this many tokens it is refused unread. */
  maxTokens: number
}

/**
 * Runs only listed documents (Yoga's persisted operations plugin). A client sends a document's id — `documentId`
 * in the body or the query string, or `extensions.persistedQuery.sha256Hash` as APQ clients do — or the text of a
 * listed document (compared after parsing, so whitespace and comments do not matter). Operations that select
 * introspection fields only are let through as text: who may introspect is AFFGRAPH_INTROSPECTION's call, and
 * GraphiQL and code generators need the schema. Anything else is refused with 400 and DOCUMENT_NOT_TRUSTED
 * before it is validated, priced or run.
 */
export function useTrustedDocuments({ documents, maxTokens }: TrustedDocumentsOptions): Plugin[] {
  const byId = new Map<string, string>()
  const texts = new Set<string>()
  const printed = new Set<string>()
  for (const [id, text] of Object.entries(documents)) {
    byId.set(bareId(id), text)
    texts.add(text)
    const document = parsed(text)
    if (document) printed.add(print(document))
  }

  // The Yoga plugin asks about a text by its request only; the text was judged here first.
  const trustedText = new WeakSet<Request>()
  const isTrusted = (text: string, operationName: string | null | undefined) => {
    if (texts.has(text)) return true
    const document = parsed(text, maxTokens)
    if (!document) return false
    if (printed.has(print(document))) return true
    const roots = rootFieldNames(document, operationName)
    return roots.length > 0 && roots.every((name) => INTROSPECTION_FIELDS.has(name))
  }

  const refusal = (message: string) => ({
    message,
    extensions: { code: DOCUMENT_NOT_TRUSTED, http: { status: 400 } },
  })

  return [
    {
      onParams({ params, request }) {
        if (typeof params.query === 'string' && isTrusted(params.query, params.operationName)) {
          trustedText.add(request)
        }
      },
    },
    usePersistedOperations({
      allowArbitraryOperations: (request) => trustedText.has(request),
      extractPersistedOperationId: (params, request, context) => {
        const { documentId } = params as { documentId?: unknown }
        if (typeof documentId === 'string' && documentId) return documentId
        // Yoga's GET parser keeps the four standard parameters only.
        if (request.method === 'GET') {
          const fromUrl = new URL(request.url).searchParams.get('documentId')
          if (fromUrl) return fromUrl
        }
        return defaultExtractPersistedOperationId(params, request, context)
      },
      getPersistedOperation: (id) => byId.get(bareId(id)) ?? null,
      customErrors: {
        notFound: refusal('No trusted document has this id.'),
        persistedQueryOnly: refusal(
          'This server runs trusted documents only: send the id of a listed document (documentId) or its text.',
        ),
        keyNotFound: {
          message:
            'Send a document: its id (documentId or extensions.persistedQuery.sha256Hash) or its text.',
          extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
        },
      },
    }),
  ]
}
