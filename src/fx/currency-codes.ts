/**
 * ISO 4217 currency codes and their minor units, as published by the maintenance agency (SIX) in list one, plus
 * the codes withdrawn since 2020 that stored reports and older exports still name (CUC, HRK, SLL, ZWL, ANG, BGN).
 *
 * The table is ours rather than the runtime's: `Intl.NumberFormat(…).resolvedOptions().maximumFractionDigits`
 * gives CLDR's display digits, which differ from ISO 4217 for 17 codes — HUF and IDR (ECB currencies) show 0 digits
 * there but have 2 in ISO 4217, IQD shows 0 but has 3 — and `Intl.supportedValuesOf('currency')` leaves out fund
 * codes such as CLF and UYW and changes with the ICU version Node ships.
 */
const CODES = [
  'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD',
  'CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP',
  'GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT',
  'LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD',
  'OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC',
  'SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU',
  'XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG ZWL',
]
  .join(' ')
  .split(' ')

export const ISO_4217_CODES: ReadonlySet<string> = new Set(CODES)

/** Codes whose minor unit is not 2. Metals, bond units, SDR, XSU, XUA, XTS and XXX have none in ISO 4217. */
const MINOR_UNITS: Readonly<Record<string, number>> = {
  ...Object.fromEntries(
    'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF'.split(' ').map((c) => [c, 0]),
  ),
  ...Object.fromEntries('BHD IQD JOD KWD LYD OMR TND'.split(' ').map((c) => [c, 3])),
  CLF: 4,
  UYW: 4,
}

/** The default minor unit: ISO 4217's most common one, used for codes it gives none and codes it does not list. */
export const FALLBACK_MINOR_UNIT = 2

export function isIso4217Code(code: string): boolean {
  return ISO_4217_CODES.has(code)
}

/**
 * Fraction digits of the currency's minor unit (JPY 0, EUR 2, KWD 3). A code ISO 4217 does not list (a platform
 * may send one) and a code with no minor unit (XAU, XXX…) fall back to 2, so such an amount still rounds to cents.
 */
export function minorUnitOf(code: string): number {
  return MINOR_UNITS[code] ?? FALLBACK_MINOR_UNIT
}
