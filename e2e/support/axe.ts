// Runs axe-core (the npm package, injected into the page under test) and returns its violations.
// The script goes in through the DevTools protocol, which the page's CSP (script-src 'self')
// does not govern; the page itself still runs under its real CSP.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Page } from 'playwright-core'

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

export interface AxeViolation {
  id: string
  impact: string | null
  help: string
  targets: string[]
}

/** Every axe rule that applies to the page as it is shown now (hidden sections are skipped by axe). */
export async function axeViolations (page: Page): Promise<AxeViolation[]> {
  if (!await page.evaluate(() => 'axe' in window)) await page.evaluate(axeSource)
  return await page.evaluate(async () => {
    interface Result { violations: Array<{ id: string, impact: string | null, help: string, nodes: Array<{ target: unknown[] }> }> }
    const { axe } = window as unknown as { axe: { run: (context: Document) => Promise<Result> } }
    const { violations } = await axe.run(document)
    return violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }))
  })
}
