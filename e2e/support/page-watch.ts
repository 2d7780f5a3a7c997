// Watches a page for what a person should never meet: console errors, uncaught exceptions,
// requests that fail or answer 4xx/5xx. A step that provokes a refusal on purpose (a wrong
// code, a wrong password) allows exactly that one answer beforehand; everything else counts.
import type { ConsoleMessage, Page, Response } from 'playwright-core'
import { becomes } from '../../shared/test-support/index.ts'

interface Allowance { status: number, method: string, path: string }

export class PageWatch {
  readonly #allowed: Allowance[] = []
  readonly #refused: Response[] = []
  readonly #consoleErrors: ConsoleMessage[] = []
  readonly #problems: string[] = []
  readonly #requests: string[] = []

  constructor (page: Page) {
    page.on('pageerror', (error) => { this.#problems.push(`uncaught: ${error.message}`) })
    page.on('console', (message) => { if (message.type() === 'error') this.#consoleErrors.push(message) })
    page.on('requestfailed', (request) => { this.#problems.push(`request failed: ${request.method()} ${request.url()} (${request.failure()?.errorText ?? '?'})`) })
    page.on('request', (request) => { this.#requests.push(`${request.method()} ${new URL(request.url()).pathname}`) })
    page.on('response', (response) => { if (response.status() >= 400) this.#refused.push(response) })
  }

  /** The next `method path` answered with `status` is intended (a negative-path step). */
  allow (status: number, method: string, path: string): void {
    this.#allowed.push({ status, method, path })
  }

  /** How many requests the page made to `method path` so far (e.g. "POST /token/refresh"). */
  count (request: string): number {
    return this.#requests.filter((made) => made === request).length
  }

  /**
   * What went wrong since the last call: unexpected refusals, console errors other than the
   * browser's own line for an allowed refusal, uncaught errors, and allowances never used.
   */
  async problems (): Promise<string[]> {
    const excused: string[] = []
    const found = this.#problems.splice(0)
    for (const response of this.#refused.splice(0)) {
      const { pathname, search } = new URL(response.url())
      const method = response.request().method()
      const index = this.#allowed.findIndex((a) => a.status === response.status() && a.method === method && a.path === pathname + search)
      if (index < 0) found.push(`refused: ${method} ${pathname}${search} ${response.status()}`)
      else {
        this.#allowed.splice(index, 1)
        excused.push(`${response.url()} ${response.status()}`)
      }
    }
    // Chromium logs every refused request as a console error; wait (bounded) for those lines.
    await becomes(() => this.#consoleErrors.length >= excused.length, { timeoutMs: 3_000, what: 'the console lines of allowed refusals' })
    for (const message of this.#consoleErrors.splice(0)) {
      const status = /^Failed to load resource: the server responded with a status of (\d+)/.exec(message.text())?.[1]
      const index = status === undefined ? -1 : excused.indexOf(`${message.location().url} ${status}`)
      if (index < 0) found.push(`console error: ${message.text()} (${message.location().url})`)
      else excused.splice(index, 1)
    }
    for (const { status, method, path } of this.#allowed.splice(0)) found.push(`allowed but never happened: ${method} ${path} ${status}`)
    return found
  }
}
