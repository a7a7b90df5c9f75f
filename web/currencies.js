/** The currencies the ECB publishes euro reference rates for: the ones a report can be converted into. */
export const CURRENCIES = [
  ...['EUR', 'USD', 'GBP', 'CAD', 'AUD', 'NZD', 'CHF', 'SEK', 'NOK', 'DKK', 'PLN', 'CZK', 'HUF', 'RON'],
  ...['BGN', 'ISK', 'TRY', 'JPY', 'CNY', 'HKD', 'SGD', 'KRW', 'INR', 'IDR', 'MYR', 'PHP', 'THB', 'ILS'],
  ...['BRL', 'MXN', 'ZAR'],
]

const KEY = 'affgraph.currency'

/** The report currency the reader chose last, kept in this browser; EUR until they choose. */
export function preferredCurrency() {
  try {
    const stored = localStorage.getItem(KEY)
    if (stored && CURRENCIES.includes(stored)) return stored
  } catch {
    // Storage can be switched off; the default serves.
  }
  return 'EUR'
}

/** @param {string} currency */
export function rememberCurrency(currency) {
  try {
    localStorage.setItem(KEY, currency)
  } catch {
    // Not remembered: the page still works.
  }
}
