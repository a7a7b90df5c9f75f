/**
 * Characters a spreadsheet shows as nothing or as blank before a cell's first visible character: whitespace (BOM and
 * no-break spaces included), zero-width and joiner characters, bidirectional marks and variation selectors.
 */
const INVISIBLE =
  '\\s\\u00ad\\u034f\\u061c\\u115f\\u1160\\u17b4\\u17b5\\u180b-\\u180f\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u206f\\u3164\\ufe00-\\ufe0f\\uffa0\\ufeff'
/** What makes a spreadsheet evaluate a cell (OWASP CSV injection), with the full-width and small-form variants. */
const TRIGGER = '=+\\-@\\t\\r\\u2212\\ufe62\\ufe63\\ufe66\\ufe6b\\uff0b\\uff0d\\uff1d\\uff20'
const FORMULA_START = new RegExp(`^[${INVISIBLE}]*[${TRIGGER}]`, 'u')
/**
 * A field separator of any locale (comma, semicolon, tab) or a line break followed by a trigger: a reader that splits
 * on another separator than ours (Excel in a semicolon locale, a tab-separated import) starts a cell there.
 */
const INNER_FORMULA_SOURCE = `([,;\\t\\r\\n])(?=[${INVISIBLE}]*[${TRIGGER}])`
const INNER_FORMULA = new RegExp(INNER_FORMULA_SOURCE, 'u')
const EVERY_INNER_FORMULA = new RegExp(INNER_FORMULA_SOURCE, 'gu')
const NUMBER = /^-?\d+(\.\d+)?$/

/**
 * One CSV field (RFC 4180): quoted when it holds a separator, quote or line break, with quotes doubled. Names come
 * from the platforms (program, account, tag), so a text cell a spreadsheet could evaluate, whether split on our
 * commas or on another locale's separator, is quoted and gets a leading "'", and so does every place inside it where
 * another reader would start a cell with a formula. Numbers (a leading minus included) are left alone.
 * @param {unknown} value
 */
export function csvField(value) {
  const text = value == null ? '' : String(value)
  if (!NUMBER.test(text) && (FORMULA_START.test(text) || INNER_FORMULA.test(text))) {
    return `"'${text.replace(EVERY_INNER_FORMULA, "$1'").replaceAll('"', '""')}"`
  }
  return /[",;\t\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/**
 * Rows to CSV text with CRLF line ends; the byte-order mark makes spreadsheet programs read it as UTF-8.
 * @param {unknown[][]} rows
 */
export function toCsv(rows) {
  return `\uFEFF${rows.map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`
}

/**
 * Saves text as a file through a temporary object URL (no round trip to the server).
 * @param {string} filename
 * @param {string} text
 * @param {string} [type]
 */
export function downloadText(filename, text, type = 'text/csv;charset=utf-8') {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const link = document.createElement('a')
  link.href = url
  link.download = filename
  document.body.append(link)
  link.click()
  link.remove()
  // Some browsers read the blob after click() returns; the URL is released once the download surely started.
  setTimeout(() => URL.revokeObjectURL(url), 30_000)
}
