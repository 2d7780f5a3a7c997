// Starts Debian's Chromium through playwright-core (never a downloaded browser) and saves
// step screenshots into the git-ignored e2e/artifacts/ directory.
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'

export const ARTIFACTS_DIR = fileURLToPath(new URL('../artifacts/', import.meta.url))
export const CHROMIUM = '/usr/bin/chromium'

export async function launchChromium (): Promise<Browser> {
  return await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-background-networking'],
    timeout: 30_000
  })
}

/** Saves a full-page PNG as e2e/artifacts/<prefix>-<step>.png and returns its path. */
export async function screenshot (page: Page, step: string, prefix = 'browser'): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true })
  const path = `${ARTIFACTS_DIR}${prefix}-${step}.png`
  await page.screenshot({ path, fullPage: true })
  return path
}
