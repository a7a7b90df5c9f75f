import { z } from 'zod'

/**
 * What users paste into a connect form is rarely the bare value: a whole API call copied from a vendor's example,
 * a portal page instead of its address, a header line with its name. These read the value out of such text, so a
 * plugin's schema keeps only what is particular to its platform.
 */

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * The value of the parameter `name` in pasted text: from a URL or query string (`…?name=value&…`), after the name
 * written as `name=value` or `name: value` (a copied header line), or else the text itself. Surrounding quotes and
 * whitespace are dropped. Names match case-insensitively.
 */
export function pastedParameter(input: string, name: string): string {
  const text = input.trim()
  const inQuery = new RegExp(`[?&]${escapeRegExp(name)}=([^&#\\s]+)`, 'i').exec(text)?.[1]
  if (inQuery !== undefined) return decodeURIComponent(inQuery)
  return text
    .replace(new RegExp(`^${escapeRegExp(name)}\\s*[:=]\\s*`, 'i'), '')
    .replace(/^["']|["']$/g, '')
    .trim()
}

/**
 * The address of a program's portal or API as users paste it (the bare domain, a portal page, a whole API call),
 * as `https://host[/prefix]`: `https://` is added when no scheme is given; other schemes, user names and passwords
 * are refused; the query and fragment are dropped; the path is cut where its first segment named `cutAt` begins
 * (what precedes it is kept, for programs served below a prefix), and without such a segment a last segment that
 * names a page (`login.ashx`) is dropped. The result parses to itself again.
 */
export function pastedAddressSchema(options: { cutAt: string; example: string }) {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(2048, 'is too long')
    .transform((input, ctx) => {
      const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `https://${input}`
      if (!URL.canParse(withScheme)) {
        ctx.addIssue({ code: 'custom', message: `must be a web address such as ${options.example}` })
        return z.NEVER
      }
      const url = new URL(withScheme)
      if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        ctx.addIssue({ code: 'custom', message: 'must be an http(s) address' })
        return z.NEVER
      }
      if (url.username || url.password) {
        ctx.addIssue({ code: 'custom', message: 'must not contain a user name or password' })
        return z.NEVER
      }
      const segments = url.pathname.split('/').filter((s) => s !== '')
      const cut = segments.findIndex((s) => s.toLowerCase() === options.cutAt.toLowerCase())
      const kept =
        cut >= 0
          ? segments.slice(0, cut)
          : segments.filter((s, i) => i < segments.length - 1 || !s.includes('.'))
      return `${url.origin}${kept.length ? `/${kept.join('/')}` : ''}`
    })
}

/**
 * A credential or id as users paste it: the value of `parameter` read out of a pasted URL, query string or
 * `parameter: value` line (see `pastedParameter`), optionally cleaned further (a `Bearer ` prefix dropped…), and
 * refused with `message` unless it matches `pattern`.
 */
export function pastedValueSchema(options: {
  parameter: string
  pattern: RegExp
  message: string
  clean?: (value: string) => string
}) {
  return z
    .string()
    .trim()
    .min(1, 'is required')
    .max(4096, 'is too long')
    .transform((input, ctx) => {
      const read = pastedParameter(input, options.parameter)
      const value = options.clean ? options.clean(read).trim() : read
      if (!options.pattern.test(value)) {
        ctx.addIssue({ code: 'custom', message: options.message })
        return z.NEVER
      }
      return value
    })
}
