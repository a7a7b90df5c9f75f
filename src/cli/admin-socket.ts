import { createHash } from 'node:crypto'
import { chmod, unlink } from 'node:fs/promises'
import { connect, createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AppServices } from '../app-services.ts'
import type { EmbeddedLock } from '../db/embedded-lock.ts'
import { runCaptureCommand } from './capture-command.ts'
import { type CommandOutput, runTokenCommand } from './token-command.ts'

/**
 * A server that owns the embedded database answers the commands that need it (`npm run token`) on a Unix socket
 * beside its data, readable by the data's owner only (as are the capture files it hands back): whoever may read the data directory may run them anyway.
 * The command process sends one line of JSON and gets one back; no port is opened, nothing leaves the machine.
 */
type AdminCommand = (services: AppServices, argv: string[], io: CommandOutput) => Promise<number>

const COMMANDS: Record<string, AdminCommand> = { token: runTokenCommand, capture: runCaptureCommand }

export interface AdminRequest {
  command: string
  argv: string[]
}
export interface AdminReply {
  code: number
  stdout: string
  stderr: string
}

/** Unix socket paths are limited to about 100 bytes: a deep data directory gets one in the temp folder. */
export function adminSocketPath(dataDir: string): string {
  const beside = join(dataDir, 'admin.sock')
  if (Buffer.byteLength(beside) < 100) return beside
  const digest = createHash('sha256').update(dataDir).digest('hex').slice(0, 16)
  return join(tmpdir(), `affgraph-${digest}.sock`)
}

async function answer(services: AppServices, line: string): Promise<AdminReply> {
  let request: AdminRequest
  try {
    request = JSON.parse(line) as AdminRequest
  } catch {
    return { code: 2, stdout: '', stderr: 'affgraph: not an admin request\n' }
  }
  const command = COMMANDS[request.command]
  if (!command || !Array.isArray(request.argv) || !request.argv.every((a) => typeof a === 'string'))
    return { code: 2, stdout: '', stderr: `affgraph: unknown admin command "${String(request.command)}"\n` }
  let stdout = ''
  let stderr = ''
  try {
    const code = await command(services, request.argv, {
      out: (text) => {
        stdout += text
      },
      err: (text) => {
        stderr += text
      },
    })
    return { code, stdout, stderr }
  } catch (error) {
    services.logger.error({ err: error, command: request.command }, 'admin command failed')
    return { code: 1, stdout, stderr: `${stderr}affgraph ${request.command}: ${(error as Error).message}\n` }
  }
}

export async function startAdminSocket(
  services: AppServices,
  dataDir: string,
  lock: EmbeddedLock,
): Promise<{ path: string; close(): Promise<void> }> {
  const path = adminSocketPath(dataDir)
  // We hold the database's lock: a socket file still there was left by a server that died.
  await unlink(path).catch(() => undefined)
  const server: Server = createServer((socket) => {
    let buffer = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      buffer += chunk
      if (buffer.length > 64 * 1024) socket.destroy()
      const newline = buffer.indexOf('\n')
      if (newline < 0) return
      void answer(services, buffer.slice(0, newline)).then((reply) =>
        socket.end(`${JSON.stringify(reply)}\n`),
      )
    })
    socket.on('error', () => undefined)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => {
      server.off('error', reject)
      resolve()
    })
  })
  await chmod(path, 0o600)
  await lock.update({ role: 'server', adminSocket: path })
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        void unlink(path).catch(() => undefined)
      }),
  }
}

/** Sends one command to a running server and returns its reply. */
export function callAdminSocket(
  path: string,
  request: AdminRequest,
  timeoutMs = 60_000,
): Promise<AdminReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(path)
    let buffer = ''
    const timer = setTimeout(() => socket.destroy(new Error('the server did not answer in time')), timeoutMs)
    socket.setEncoding('utf8')
    socket.once('connect', () => socket.write(`${JSON.stringify(request)}\n`))
    socket.on('data', (chunk: string) => {
      buffer += chunk
    })
    socket.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    socket.once('close', () => {
      clearTimeout(timer)
      try {
        resolve(JSON.parse(buffer) as AdminReply)
      } catch {
        reject(new Error('the server closed the admin socket without an answer'))
      }
    })
  })
}
