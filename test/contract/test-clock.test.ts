import { afterEach, describe, expect, it, vi } from 'vitest'
import { DEFAULT_TEST_NOW, testNow } from '../support/test-clock.ts'

describe('testNow', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
  })

  it('given no AFFGRAPH_TEST_NOW, when read, then it is the fixed default instant', () => {
    vi.stubEnv('AFFGRAPH_TEST_NOW', '')
    expect(testNow().toISOString()).toBe(new Date(DEFAULT_TEST_NOW).toISOString())
    expect(DEFAULT_TEST_NOW).toBe('2026-06-15T12:00:00Z')
  })

  it('given AFFGRAPH_TEST_NOW holding an ISO instant, when read, then that instant is "now"', () => {
    vi.stubEnv('AFFGRAPH_TEST_NOW', '2027-03-01T08:30:00Z')
    expect(testNow().toISOString()).toBe('2027-03-01T08:30:00.000Z')
  })

  it('given AFFGRAPH_TEST_NOW that is not an instant, when read, then the error names the variable', () => {
    vi.stubEnv('AFFGRAPH_TEST_NOW', 'next tuesday')
    expect(() => testNow()).toThrow(/AFFGRAPH_TEST_NOW is not an ISO instant: "next tuesday"/)
  })
})
