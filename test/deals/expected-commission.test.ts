import { describe, expect, it } from 'vitest'
import { type DealTermsInput, type DealVersionTerms, dealTermsSchema } from '../../src/deals/deal-terms.ts'
import {
  computeExpectedCommission,
  type DayFigures,
  type ExpectedCommissionInput,
} from '../../src/deals/expected-commission.ts'

const version = (validFrom: string, terms: DealTermsInput): DealVersionTerms => ({
  validFrom,
  terms: dealTermsSchema.parse(terms),
})
const day = (d: string, figures: Partial<Omit<DayFigures, 'day'>>): DayFigures => ({
  day: d,
  ftds: null,
  cpaCount: null,
  netRevenue: null,
  commission: null,
  ...figures,
})
const EVERYTHING = { ftds: true, cpaCount: true, netRevenue: true, commission: true }
const compute = (
  input: Partial<ExpectedCommissionInput> & Pick<ExpectedCommissionInput, 'versions' | 'days'>,
) => computeExpectedCommission({ fromMonth: '2026-01', toMonth: '2026-01', reports: EVERYTHING, ...input })

const FTD_TIERS = [
  { from: '0', percent: '25' },
  { from: '11', percent: '30' },
  { from: '26', percent: '35' },
]

describe('expected commission of a deal', () => {
  const qualifiedCpa = version('2026-01-01', {
    currency: 'EUR',
    cpa: { amount: '100', qualification: { minFirstDeposit: '20' } },
    paymentTermsDays: 15,
    minimumPayout: '50',
  })

  it('given a CPA with a minimum first deposit on a platform that counts qualified CPAs, when computed, then it pays the qualified count and names the FTDs left out', () => {
    // 10 + 20 = 30 FTDs, 8 + 16 = 24 qualified: 24 × 100 = 2400 expected; 6 left out would have earned 600.
    // Reported 800 + 1500 = 2300, so the program paid 2300 − 2400 = −100. NGR 100.5 − 20 = 80.5 is only carried.
    const [march, ...rest] = compute({
      versions: [qualifiedCpa],
      days: [
        day('2026-03-17', { ftds: 20, cpaCount: 16, netRevenue: '-20', commission: '1500' }),
        day('2026-03-02', { ftds: 10, cpaCount: 8, netRevenue: '100.5', commission: '800' }),
      ],
      fromMonth: '2026-03',
      toMonth: '2026-03',
    })
    expect(rest).toEqual([])
    expect(march).toEqual({
      month: '2026-03',
      daysWithData: 2,
      ftds: 30,
      cpaCount: 24,
      netRevenue: '80.5',
      cpa: '2400',
      revenueShare: null,
      fees: '0',
      expected: '2400',
      expectedUpperBound: null,
      reported: '2300',
      difference: '-100',
      carriedIn: '0',
      carriedOut: '0',
      tierPercents: [],
      tiers: [],
      versionsInForce: ['2026-01-01'],
      paymentTermsDays: 15,
      minimumPayout: '50',
      reasons: [
        {
          code: 'FTDS_BELOW_QUALIFICATION',
          message:
            "6 FTDs were not counted as qualified CPAs by the program; at the deal's CPA they would have earned 600 EUR.",
          amount: '600',
          count: 6,
        },
      ],
    })
  })

  it('given a platform that does not count qualified CPAs, when computed, then a conditional CPA is only bounded and an unconditional one pays every FTD', () => {
    const reports = { ...EVERYTHING, cpaCount: false }
    const days = [
      day('2026-03-02', { ftds: 10, netRevenue: '100.5', commission: '800' }),
      day('2026-03-17', { ftds: 20, netRevenue: '-20', commission: '1500' }),
    ]
    const window = { fromMonth: '2026-03', toMonth: '2026-03', reports }

    // Conditional: 30 FTDs × 100 = 3000 at most; nothing exact to compare the reported 2300 with.
    const [conditional] = compute({ versions: [qualifiedCpa], days, ...window })
    expect(conditional).toMatchObject({
      cpaCount: null,
      cpa: null,
      expected: null,
      expectedUpperBound: '3000',
      reported: '2300',
      difference: null,
    })
    expect(conditional!.reasons).toEqual([
      {
        code: 'QUALIFIED_COUNT_NOT_REPORTED',
        message:
          'The platform does not report qualified CPAs and the deal sets qualification conditions, so the 30 FTDs can earn at most 3000 EUR.',
        amount: '3000',
        count: 30,
      },
    ])

    // Hybrid: the bound is the CPA bound plus the exact rest: 3000 + 80.5 × 25% (20.125) = 3020.125 → 3020.13.
    const [hybrid] = compute({
      versions: [
        version('2026-01-01', {
          currency: 'EUR',
          cpa: { amount: '100', qualification: { minFirstDeposit: '20' } },
          revenueShare: { tiers: [{ from: '0', percent: '25' }] },
        }),
      ],
      days,
      ...window,
    })
    expect(hybrid).toMatchObject({
      cpa: null,
      revenueShare: '20.13',
      expected: null,
      expectedUpperBound: '3020.13',
    })

    // Unconditional: every FTD qualifies, 30 × 100 = 3000; the program paid 2300 − 3000 = −700.
    const [unconditional] = compute({
      versions: [version('2026-01-01', { currency: 'EUR', cpa: { amount: '100' } })],
      days,
      ...window,
    })
    expect(unconditional).toMatchObject({
      cpa: '3000',
      expected: '3000',
      expectedUpperBound: null,
      reported: '2300',
      difference: '-700',
      reasons: [],
    })
  })

  it('given a tiered revenue share by FTDs without carry-over, when a month is negative, then it earns 0 and the next month is not touched', () => {
    const months = compute({
      versions: [version('2026-01-01', { currency: 'EUR', revenueShare: { tiers: FTD_TIERS } })],
      days: [
        // January: 5 + 6 = 11 FTDs reaches the 30% tier (inclusive); NGR 1000.40 + 999.60 = 2000 → 600.
        day('2026-01-05', { ftds: 5, netRevenue: '1000.40', commission: '300' }),
        day('2026-01-20', { ftds: 6, netRevenue: '999.60', commission: '300' }),
        // February: 30 FTDs reaches 35%, but NGR −1500 earns nothing and is forgotten.
        day('2026-02-03', { ftds: 30, netRevenue: '-1500', commission: '0' }),
        // March: 10 FTDs stays at 25%; 800 × 25% = 200 with no offset from February.
        day('2026-03-10', { ftds: 10, netRevenue: '800', commission: '200' }),
      ],
      toMonth: '2026-03',
    })
    const view = months.map((m) => ({
      month: m.month,
      revenueShare: m.revenueShare,
      expected: m.expected,
      difference: m.difference,
      carriedIn: m.carriedIn,
      carriedOut: m.carriedOut,
      tiers: m.tiers,
      reasons: m.reasons,
    }))
    const tier = (basisTotal: string, percent: string) => ({
      validFrom: '2026-01-01',
      basis: 'FTDS',
      basisTotal,
      percent,
    })
    expect(view).toEqual([
      {
        month: '2026-01',
        revenueShare: '600',
        expected: '600',
        difference: '0',
        carriedIn: '0',
        carriedOut: '0',
        tiers: [tier('11', '30')],
        reasons: [],
      },
      {
        month: '2026-02',
        revenueShare: '0',
        expected: '0',
        difference: '0',
        carriedIn: '0',
        carriedOut: '0',
        tiers: [tier('30', '35')],
        reasons: [
          {
            code: 'NEGATIVE_MONTH',
            message: 'Net revenue was negative (-1500 EUR), so the month earns no revenue share.',
            amount: '-1500',
            count: null,
          },
        ],
      },
      {
        month: '2026-03',
        revenueShare: '200',
        expected: '200',
        difference: '0',
        carriedIn: '0',
        carriedOut: '0',
        tiers: [tier('10', '25')],
        reasons: [],
      },
    ])
  })

  it('given negative carry-over, when a loss is larger than the next month, then it carries twice and is offset at the month-end tier', () => {
    const versions = [
      version('2026-01-01', { currency: 'EUR', revenueShare: { tiers: FTD_TIERS, negativeCarryOver: true } }),
    ]
    const days = [
      // January: 5 FTDs, 25% × 1000 = 250.
      day('2026-01-10', { ftds: 5, netRevenue: '1000', commission: '250' }),
      // February: −3000, nothing earned, all of it carried out.
      day('2026-02-10', { ftds: 2, netRevenue: '-3000', commission: '0' }),
      // March: 1200 − 3000 = −1800 ≤ 0: nothing earned, −1800 carried out.
      day('2026-03-10', { ftds: 12, netRevenue: '1200', commission: '0' }),
      // April: 2800 − 1800 = 1000 > 0 at 35% (26 FTDs): 2800 × 35% + (−1800) × 35% = 980 − 630 = 350.
      day('2026-04-10', { ftds: 26, netRevenue: '2800', commission: '350' }),
      // May: no stored day, nothing carried in: 0.
    ]
    // Returning from March only: February's loss must still come from the history before it.
    const months = compute({ versions, days, fromMonth: '2026-03', toMonth: '2026-05' })
    const view = months.map((m) => ({
      month: m.month,
      revenueShare: m.revenueShare,
      expected: m.expected,
      carriedIn: m.carriedIn,
      carriedOut: m.carriedOut,
      tierPercents: m.tierPercents,
      reasons: m.reasons.map((r) => [r.code, r.amount]),
    }))
    expect(view).toEqual([
      {
        month: '2026-03',
        revenueShare: '0',
        expected: '0',
        carriedIn: '-3000',
        carriedOut: '-1800',
        tierPercents: ['30'],
        reasons: [['CARRY_OVER_APPLIED', '-3000']],
      },
      {
        month: '2026-04',
        revenueShare: '350',
        expected: '350',
        carriedIn: '-1800',
        carriedOut: '0',
        tierPercents: ['35'],
        reasons: [['CARRY_OVER_APPLIED', '-1800']],
      },
      {
        month: '2026-05',
        revenueShare: '0',
        expected: '0',
        carriedIn: '0',
        carriedOut: '0',
        tierPercents: ['25'],
        reasons: [['COMMISSION_NOT_REPORTED', null]],
      },
    ])
    expect(months[1]!.reasons[0]!.message).toBe(
      "Negative net revenue of 1800 EUR carried from earlier months was offset against this month's.",
    )

    const [january, february] = compute({ versions, days, toMonth: '2026-02' })
    expect(january).toMatchObject({ revenueShare: '250', carriedIn: '0', carriedOut: '0', reasons: [] })
    expect(february).toMatchObject({ revenueShare: '0', carriedIn: '0', carriedOut: '-3000' })
    expect(february!.reasons).toEqual([
      {
        code: 'NEGATIVE_MONTH',
        message: 'Net revenue was negative (-3000 EUR); the deal carries it into the following months.',
        amount: '-3000',
        count: null,
      },
    ])
  })

  it('given tiers by net revenue on a platform without FTDs, when computed, then the month NGR picks the tier, thresholds inclusive', () => {
    const months = compute({
      versions: [
        version('2026-01-01', {
          currency: 'USD',
          revenueShare: {
            tierBasis: 'NET_REVENUE',
            tiers: [
              { from: '0', percent: '20' },
              { from: '10000', percent: '30' },
              { from: '50000', percent: '40' },
            ],
          },
        }),
      ],
      days: [
        // Exactly 10000 reaches 30%: 3000.
        day('2026-01-15', { netRevenue: '10000', commission: '3000' }),
        // 49999.99 stays at 30%: 14999.997 → 15000; the program paid 14999.99, a cent short.
        day('2026-02-01', { netRevenue: '49999.99', commission: '14999.99' }),
        // 20000 + 30000.01 = 50000.01 reaches 40%: 20000.004 → 20000.
        day('2026-03-01', { netRevenue: '20000', commission: '8000' }),
        day('2026-03-02', { netRevenue: '30000.01', commission: '12000' }),
      ],
      toMonth: '2026-03',
      reports: { ...EVERYTHING, ftds: false, cpaCount: false },
    })
    expect(
      months.map((m) => [m.month, m.ftds, m.netRevenue, m.tiers, m.revenueShare, m.difference, m.reasons]),
    ).toEqual([
      [
        '2026-01',
        null,
        '10000',
        [{ validFrom: '2026-01-01', basis: 'NET_REVENUE', basisTotal: '10000', percent: '30' }],
        '3000',
        '0',
        [],
      ],
      [
        '2026-02',
        null,
        '49999.99',
        [{ validFrom: '2026-01-01', basis: 'NET_REVENUE', basisTotal: '49999.99', percent: '30' }],
        '15000',
        '-0.01',
        [],
      ],
      [
        '2026-03',
        null,
        '50000.01',
        [{ validFrom: '2026-01-01', basis: 'NET_REVENUE', basisTotal: '50000.01', percent: '40' }],
        '20000',
        '0',
        [],
      ],
    ])
  })

  it('given a platform missing the figures a revenue share needs, when computed, then the share is unknown with the reason, unless a loss makes it 0 anyway', () => {
    // FTD tiers without FTDs: January's 1000 has no tier; February's −500 earns 0 whatever the tier.
    const [january, february] = compute({
      versions: [version('2026-01-01', { currency: 'EUR', revenueShare: { tiers: FTD_TIERS } })],
      days: [
        day('2026-01-10', { netRevenue: '1000', commission: '250' }),
        day('2026-02-10', { netRevenue: '-500', commission: '0' }),
      ],
      toMonth: '2026-02',
      reports: { ...EVERYTHING, ftds: false, cpaCount: false },
    })
    expect(january).toMatchObject({
      revenueShare: null,
      expected: null,
      expectedUpperBound: null,
      difference: null,
      tierPercents: [],
    })
    expect(january!.reasons.map((r) => r.code)).toEqual(['FTDS_NOT_REPORTED'])
    expect(february).toMatchObject({ revenueShare: '0', expected: '0', difference: '0' })
    expect(february!.reasons.map((r) => r.code)).toEqual(['NEGATIVE_MONTH'])

    // No net revenue at all: the CPA part (4 × 50 = 200) is still computed, the total is not.
    const [hybrid] = compute({
      versions: [
        version('2026-01-01', {
          currency: 'EUR',
          cpa: { amount: '50' },
          revenueShare: { tiers: [{ from: '0', percent: '25' }], negativeCarryOver: true },
        }),
      ],
      days: [day('2026-01-10', { ftds: 4, commission: '450' })],
      reports: { ...EVERYTHING, netRevenue: false, cpaCount: false },
    })
    expect(hybrid).toMatchObject({
      netRevenue: null,
      cpa: '200',
      revenueShare: null,
      expected: null,
      expectedUpperBound: null,
      reported: '450',
      difference: null,
      carriedOut: '0',
    })
    expect(hybrid!.reasons).toEqual([
      {
        code: 'NET_REVENUE_NOT_REPORTED',
        message: 'The platform does not report net revenue, so the revenue share cannot be computed.',
        amount: null,
        count: null,
      },
    ])
  })

  it('given a deal changed on the 16th, when the month is computed, then each part is paid under its own terms at the tier of the whole month', () => {
    const versions = [
      version('2026-01-01', {
        currency: 'EUR',
        cpa: { amount: '100' },
        revenueShare: { tiers: [{ from: '0', percent: '25' }] },
      }),
      version('2026-03-16', {
        currency: 'EUR',
        cpa: { amount: '120' },
        paymentTermsDays: 45,
        revenueShare: {
          tiers: [
            { from: '0', percent: '28' },
            { from: '10', percent: '30' },
          ],
        },
      }),
    ]
    const [march, april] = compute({
      versions: [versions[1]!, versions[0]!],
      days: [
        // Until the 15th: 4 + 3 = 7 FTDs × 100 = 700; NGR 400 + 600 = 1000 × 25% = 250.
        day('2026-03-10', { ftds: 4, netRevenue: '400', commission: '900' }),
        day('2026-03-15', { ftds: 3, netRevenue: '600', commission: '450' }),
        // From the 16th: 5 + 2 = 7 FTDs × 120 = 840; NGR 1000 − 200 = 800 × 30% = 240, the tier reached by the
        // month's 14 FTDs (the part's own 7 would have stayed at 28%).
        day('2026-03-16', { ftds: 5, netRevenue: '1000', commission: '500' }),
        day('2026-03-31', { ftds: 2, netRevenue: '-200', commission: '150' }),
        // April, all under the new terms: 1 × 120 + 100 × 28% = 148.
        day('2026-04-01', { ftds: 1, netRevenue: '100', commission: '148' }),
      ],
      fromMonth: '2026-03',
      toMonth: '2026-04',
      reports: { ...EVERYTHING, cpaCount: false },
    })
    // 700 + 840 = 1540 CPA, 250 + 240 = 490 share, 2030 expected; reported 2000 is 30 short.
    expect(march).toMatchObject({
      ftds: 14,
      netRevenue: '1800',
      cpa: '1540',
      revenueShare: '490',
      expected: '2030',
      reported: '2000',
      difference: '-30',
      tierPercents: ['25', '30'],
      versionsInForce: ['2026-01-01', '2026-03-16'],
      paymentTermsDays: 45,
    })
    expect(march!.tiers.map((t) => [t.validFrom, t.basisTotal, t.percent])).toEqual([
      ['2026-01-01', '14', '25'],
      ['2026-03-16', '14', '30'],
    ])
    expect(march!.reasons).toEqual([
      {
        code: 'TERMS_CHANGED_MID_MONTH',
        message:
          'The deal terms changed on 2026-03-16; each part of the month is computed under the terms then in force.',
        amount: null,
        count: 2,
      },
    ])
    expect(april).toMatchObject({
      cpa: '120',
      revenueShare: '28',
      expected: '148',
      difference: '0',
      versionsInForce: ['2026-03-16'],
      reasons: [],
    })
  })

  it('given a hybrid deal with monthly and one-off fees, when a new version starts mid-month, then the month-end monthly fee and each starting version’s one-off fee are added', () => {
    const months = compute({
      versions: [
        version('2026-01-01', {
          currency: 'EUR',
          cpa: { amount: '50' },
          revenueShare: { tiers: [{ from: '0', percent: '20' }] },
          fixedFees: [
            { label: 'Listing', amount: '500' },
            { label: 'Onboarding', amount: '1000', frequency: 'ONCE' },
          ],
        }),
        version('2026-02-10', {
          currency: 'EUR',
          cpa: { amount: '50' },
          revenueShare: { tiers: [{ from: '0', percent: '20' }] },
          fixedFees: [
            { label: 'Listing', amount: '600', frequency: 'MONTHLY' },
            { label: 'Renewal', amount: '250', frequency: 'ONCE' },
          ],
        }),
      ],
      days: [
        // January: 10 × 50 = 500 CPA, 1000 × 20% = 200 share, 500 listing + 1000 onboarding = 1500 fees: 2200.
        day('2026-01-10', { ftds: 10, netRevenue: '1000', commission: '2200' }),
        // February: (2 + 3) × 50 = 250, (100 + 400) × 20% = 100, 600 listing (new version at month end) + 250
        // renewal = 850 fees (January's fees are not repeated): 1200. Reported only 600.
        day('2026-02-05', { ftds: 2, netRevenue: '100' }),
        day('2026-02-20', { ftds: 3, netRevenue: '400', commission: '600' }),
        // March: nothing stored: only the 600 listing.
      ],
      toMonth: '2026-03',
      reports: { ...EVERYTHING, cpaCount: false },
    })
    expect(
      months.map((m) => ({
        month: m.month,
        daysWithData: m.daysWithData,
        cpa: m.cpa,
        revenueShare: m.revenueShare,
        fees: m.fees,
        expected: m.expected,
        reported: m.reported,
        difference: m.difference,
        reasons: m.reasons.map((r) => r.code),
      })),
    ).toEqual([
      {
        month: '2026-01',
        daysWithData: 1,
        cpa: '500',
        revenueShare: '200',
        fees: '1500',
        expected: '2200',
        reported: '2200',
        difference: '0',
        reasons: [],
      },
      {
        month: '2026-02',
        daysWithData: 2,
        cpa: '250',
        revenueShare: '100',
        fees: '850',
        expected: '1200',
        reported: '600',
        difference: '-600',
        reasons: ['TERMS_CHANGED_MID_MONTH'],
      },
      {
        month: '2026-03',
        daysWithData: 0,
        cpa: '0',
        revenueShare: '0',
        fees: '600',
        expected: '600',
        reported: null,
        difference: null,
        reasons: ['COMMISSION_NOT_REPORTED'],
      },
    ])
    expect(months[2]!.reasons[0]!.message).toBe(
      'No commission figure is stored for this month, so there is nothing to compare with.',
    )
  })

  it('given months before the deal and a platform without commission, when computed, then they have no deal, days before it are left out, and cents round half away from zero', () => {
    const months = compute({
      versions: [
        version('2026-03-10', {
          currency: 'EUR',
          revenueShare: { tiers: [{ from: '0', percent: '25' }] },
          paymentTermsDays: 45,
        }),
      ],
      days: [
        day('2026-02-14', { ftds: 1, netRevenue: '50' }),
        // Before the deal starts on the 10th: not governed, not counted.
        day('2026-03-05', { ftds: 3, netRevenue: '500' }),
        // 1234.58 × 25% = 308.645 exactly → 308.65 (a binary float gives 308.64).
        day('2026-03-20', { ftds: 2, netRevenue: '1234.58' }),
      ],
      fromMonth: '2026-01',
      toMonth: '2026-03',
      reports: { ...EVERYTHING, cpaCount: false, commission: false },
    })
    const noCommission = {
      code: 'COMMISSION_NOT_REPORTED',
      message: 'The platform does not report commission, so there is nothing to compare with.',
      amount: null,
      count: null,
    }
    const noDeal = (month: string, daysWithData: number, ftds: number, netRevenue: string) => ({
      month,
      daysWithData,
      ftds,
      cpaCount: null,
      netRevenue,
      cpa: null,
      revenueShare: null,
      fees: '0',
      expected: null,
      expectedUpperBound: null,
      reported: null,
      difference: null,
      carriedIn: '0',
      carriedOut: '0',
      tierPercents: [],
      tiers: [],
      versionsInForce: [],
      paymentTermsDays: null,
      minimumPayout: null,
      reasons: [
        {
          code: 'NO_DEAL',
          message: 'The deal starts on 2026-03-10, so nothing is expected for this month.',
          amount: null,
          count: null,
        },
        noCommission,
      ],
    })
    expect(months).toEqual([
      noDeal('2026-01', 0, 0, '0'),
      noDeal('2026-02', 1, 1, '50'),
      {
        month: '2026-03',
        daysWithData: 1,
        ftds: 2,
        cpaCount: null,
        netRevenue: '1234.58',
        cpa: null,
        revenueShare: '308.65',
        fees: '0',
        expected: '308.65',
        expectedUpperBound: null,
        reported: null,
        difference: null,
        carriedIn: '0',
        carriedOut: '0',
        tierPercents: ['25'],
        tiers: [{ validFrom: '2026-03-10', basis: 'FTDS', basisTotal: '2', percent: '25' }],
        versionsInForce: ['2026-03-10'],
        paymentTermsDays: 45,
        minimumPayout: null,
        reasons: [noCommission],
      },
    ])
  })

  it('given malformed input, when computed, then it is refused or empty rather than guessed', () => {
    const terms: DealTermsInput = { currency: 'EUR', cpa: { amount: '100' } }
    expect(() =>
      compute({ versions: [version('2026-01-01', terms), version('2026-01-01', terms)], days: [] }),
    ).toThrow('two deal versions start on 2026-01-01')
    expect(() => compute({ versions: [], days: [], fromMonth: '2026-13' })).toThrow(RangeError)
    expect(compute({ versions: [], days: [], fromMonth: '2026-02', toMonth: '2026-01' })).toEqual([])
    // No version at all: every month says so.
    expect(compute({ versions: [], days: [] }).map((m) => [m.expected, m.reasons[0]!.code])).toEqual([
      [null, 'NO_DEAL'],
    ])
  })
})
