import { describe, expect, it } from 'vitest'
import { AuthError, isPlatformError, retryAfterOf } from '../../src/sdk/index.ts'

describe('platform errors across copies of the SDK', () => {
  it('given errors made by a second copy of the SDK module, when the host inspects them, then they are platform errors with their code, field and wait', async () => {
    // A different URL is a different module instance: what a plugin loaded as CommonJS from elsewhere gets.
    const url = `${new URL('../../src/sdk/errors.ts', import.meta.url).href}?copy`
    const copy = (await import(/* @vite-ignore */ url)) as typeof import('../../src/sdk/errors.ts')
    const auth = new copy.AuthError('the key was refused', { field: 'apiKey' })
    const limited = new copy.RateLimitError('slow down', { retryAfterMs: 1500 })
    expect(auth instanceof AuthError, 'instanceof cannot see across copies').toBe(false)
    expect(isPlatformError(auth)).toBe(true)
    expect(auth.code).toBe('PLATFORM_AUTH')
    expect(auth.field).toBe('apiKey')
    expect(retryAfterOf(limited)).toBe(1500)
    expect(retryAfterOf(auth)).toBeUndefined()
  })

  it('given look-alike objects, when inspected, then they are not platform errors', () => {
    expect(isPlatformError({ code: 'PLATFORM_AUTH', message: 'x' })).toBe(false)
    expect(isPlatformError(new Error('PLATFORM_AUTH'))).toBe(false)
    expect(isPlatformError(null)).toBe(false)
  })
})
