/** A cell a spreadsheet would run as a formula; numbers (a leading minus included) are left alone. */
const FORMULA_START = /^[=+\-@\t\r]/
const NUMBER = /^-?\d+(\.\d+)?$/

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break, with quotes doubled. Names come
 * from the platforms (program, account, tag), so a text cell that a spreadsheet would evaluate gets a leading "'".
 * @param {unknown} value
 */
export function csvField(value) {
  let text = value == null ? '' : String(value)
  if (FORMULA_START.test(text) && !NUMBER.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
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
