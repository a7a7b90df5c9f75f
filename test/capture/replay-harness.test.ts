import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  type CaptureExchange,
  type CaptureFile,
  CaptureFormatError,
  parseCaptureFile,
} from '../../src/capture/capture-file.ts'
import { exchangeDifferences } from '../../src/capture/replay-transport.ts'
import type { OutgoingRequest } from '../../src/http/http-client.ts'
import { BUNDLED_PLUGIN_DIR } from '../../src/platform/plugin-loader.ts'
import { reportRowSchema } from '../../src/sdk/index.ts'
import { expectReplayToMeet, readExpectation, replayCapture, rowDifferences } from '../support/replay.ts'

const SAMPLE = join(BUNDLED_PLUGIN_DIR, 'cellxpert/replays/vendor-media-report.capture.json')
const sample = (): CaptureFile => parseCaptureFile(readFileSync(SAMPLE, 'utf8'))
const expected = readExpectation(SAMPLE)

function withExchanges(exchanges: CaptureFile['exchanges']): CaptureFile {
  return { ...sample(), exchanges }
}

const exchange = (overrides: Partial<CaptureExchange> = {}): CaptureExchange => ({
  ...sample().exchanges[0]!,
  ...overrides,
})

describe('replaying a capture through the runner', () => {
  it('given the vendor sample, when it is replayed, then every exchange is used and the rows are the expected ones', async () => {
    const outcome = await replayCapture(sample())
    expect(outcome.rows).toHaveLength(4)
    expectReplayToMeet(outcome, expected)
  })

  it('given expected figures that differ by one commission, when the replay is compared, then it fails', async () => {
    const outcome = await replayCapture(sample())
    const wrong = structuredClone(expected) as { rows: Record<string, unknown>[] }
    wrong.rows[0]!.commission = '91'
    expect(() => expectReplayToMeet(outcome, wrong)).toThrow(/replayed rows against the expected figures/)
    const want = wrong.rows.map((row) => reportRowSchema.parse(row))
    expect(rowDifferences(outcome.rows, want)).toEqual([
      `2023-01-02 / 6option / (no campaign) / USD: commission is ${outcome.rows[0]!.commission}, expected 91`,
    ])
  })

  it('given a recorded request for other dates, when the plugin asks for the window, then the replay fails naming the request and the parameter', async () => {
    const recorded = exchange()
    recorded.request = {
      ...recorded.request,
      url: recorded.request.url.replace('todate=2023-01-31', 'todate=2023-01-30'),
    }
    const outcome = await replayCapture(withExchanges([recorded]))
    expect(outcome.unmatched).toHaveLength(1)
    expect(outcome.unmatched[0]).toMatch(
      /^GET https:\/\/cx-new-ui\.cellxpert\.com\/api\/\?command=mediareport&fromdate=2023-01-01&todate=2023-01-31/,
    )
    expect(outcome.unmatched[0]).toContain('query "todate": recorded "2023-01-30", sent "2023-01-31"')
    expect(outcome.error?.code).toBe('PLATFORM_RESPONSE_FORMAT')
    expect(outcome.unused).toEqual([expect.stringMatching(/^#1 GET /)])
    expect(() => expectReplayToMeet(outcome, expected)).toThrow(/requests the capture has no answer for/)
  })

  it('given an outage page and then the report, when replayed, then the host retries as it did live and the rows are the same', async () => {
    const outage = exchange({
      response: { status: 503, headers: { 'retry-after': '1' }, body: 'down for maintenance' },
      failure: { code: 'PLATFORM_UNAVAILABLE', message: 'the program is unavailable (HTTP 503)' },
    })
    const report = exchange({ attempt: 2 })
    const outcome = await replayCapture(withExchanges([outage, report]))
    expectReplayToMeet(outcome, expected)
  })

  it('given an attempt that got no response, when replayed, then it fails the same way and the retry gets the report', async () => {
    const reset = exchange({
      response: null,
      failure: { code: 'PLATFORM_UNAVAILABLE', message: 'the response from host was cut short' },
    })
    const outcome = await replayCapture(withExchanges([reset, exchange({ attempt: 2 })]))
    expectReplayToMeet(outcome, expected)
  })

  it('given a recorded exchange the plugin never asks for, when replayed, then it is reported as unused', async () => {
    const extra = exchange()
    extra.request = { ...extra.request, url: 'https://cx-new-ui.cellxpert.com/api/?command=registrations' }
    const outcome = await replayCapture(withExchanges([exchange(), extra]))
    expect(outcome.unused).toEqual(['#2 GET https://cx-new-ui.cellxpert.com/api/?command=registrations'])
    expect(() => expectReplayToMeet(outcome, expected)).toThrow(/never asked for/)
  })
})

describe('matching a request against a recorded exchange', () => {
  const request = (url: string, body?: string, type?: string): OutgoingRequest => ({
    method: 'POST',
    url: new URL(url),
    headers: type ? { 'content-type': type } : {},
    body,
  })
  const recorded = (url: string, body: string | null, type?: string, match?: CaptureExchange['match']) =>
    exchange({
      request: { method: 'POST', url, headers: type ? { 'content-type': type } : {}, body },
      match,
    })

  it('given a redacted query value, when any value is sent, then it matches; a missing parameter does not', () => {
    const rec = recorded('https://h.example/r?key=REDACTED&d=1', null)
    expect(exchangeDifferences(rec, request('https://h.example/r?d=1&key=anything'))).toEqual([])
    expect(exchangeDifferences(rec, request('https://h.example/r?d=1'))).toEqual([
      'query "key": recorded "REDACTED", sent absent',
    ])
  })

  it('given repeated parameters, when they come in another order, then they differ; other parameters may move', () => {
    const rec = recorded('https://h.example/r?c=a&c=b&x=1', null)
    expect(exchangeDifferences(rec, request('https://h.example/r?x=1&c=a&c=b'))).toEqual([])
    expect(exchangeDifferences(rec, request('https://h.example/r?c=b&c=a&x=1'))).toHaveLength(1)
  })

  it('given form bodies, when fields are reordered or a redacted one differs, then they match; another value does not', () => {
    const form = 'application/x-www-form-urlencoded'
    const rec = recorded(
      'https://h.example/token',
      'grant_type=password&client_secret=REDACTED&username=ID-user',
      form,
    )
    expect(
      exchangeDifferences(
        rec,
        request('https://h.example/token', 'username=ID-user&grant_type=password&client_secret=s', form),
      ),
    ).toEqual([])
    expect(
      exchangeDifferences(
        rec,
        request('https://h.example/token', 'username=other&grant_type=password&client_secret=s', form),
      ),
    ).toEqual(['form field "username": recorded "ID-user", sent "other"'])
  })

  it('given JSON bodies, when keys are reordered, then they match; with `match.body` naming fields, only those count', () => {
    const json = 'application/json'
    const rec = recorded('https://h.example/q', '{"a":1,"b":{"c":[1,2]},"t":"REDACTED"}', json)
    expect(
      exchangeDifferences(rec, request('https://h.example/q', '{"t":"x","b":{"c":[1,2]},"a":1}', json)),
    ).toEqual([])
    expect(
      exchangeDifferences(rec, request('https://h.example/q', '{"t":"x","b":{"c":[2,1]},"a":1}', json)),
    ).toEqual(['JSON body differs'])
    const some = recorded('https://h.example/q', '{"a":1,"nonce":"n1"}', json, { body: ['a'] })
    expect(exchangeDifferences(some, request('https://h.example/q', '{"a":1,"nonce":"n2"}', json))).toEqual(
      [],
    )
  })

  it('given another method or path, when compared, then only that is reported', () => {
    const rec = recorded('https://h.example/a?x=1', null)
    expect(exchangeDifferences(rec, { ...request('https://h.example/b?x=2'), method: 'GET' })).toEqual([
      'method: recorded POST, sent GET',
      'path: recorded https://h.example/a, sent https://h.example/b',
    ])
  })
})

describe('reading a capture file', () => {
  const text = readFileSync(SAMPLE, 'utf8')
  const edited = (edit: (json: Record<string, unknown>) => void) => {
    const json = JSON.parse(text) as Record<string, unknown>
    edit(json)
    return JSON.stringify(json)
  }

  it('given files that are not captures, when read, then the error says what is wrong and where', () => {
    expect(() => parseCaptureFile('{', 'x.json')).toThrow(/x\.json is not JSON/)
    expect(() => parseCaptureFile('{"format":"har"}', 'x.json')).toThrow(/not an affgraph capture/)
    expect(() =>
      parseCaptureFile(
        edited((j) => (j.version = 2)),
        'x.json',
      ),
    ).toThrow(/version 2; this affgraph reads version 1/)
    expect(() =>
      parseCaptureFile(
        edited((j) => {
          const [first] = j.exchanges as Record<string, unknown>[]
          first!.response = null
          first!.failure = null
        }),
        'x.json',
      ),
    ).toThrow(/x\.json: exchanges\.0\.failure: an exchange without a response must say how it failed/)
    expect(() =>
      parseCaptureFile(
        edited((j) => (j.window = { from: '2023-02-01', to: '2023-01-01' })),
        'x.json',
      ),
    ).toThrow(CaptureFormatError)
  })
})
