import type { AppServices } from '../app-services.ts'
import { type AuthResult, authenticate } from '../workspace/workspace.service.ts'

const settled = new WeakMap<Request, Promise<AuthResult>>()

/**
 * The caller's authentication, looked up once per HTTP request. Introspection and field suggestions are decided
 * before Yoga builds the context (validation runs first), and the context then reuses the same answer.
 */
export function authenticateRequest(services: AppServices, request: Request): Promise<AuthResult> {
  let result = settled.get(request)
  if (!result) {
    result = authenticate(services.db.fork(), request.headers.get('authorization'), services.clock.now())
    settled.set(request, result)
  }
  return result
}
