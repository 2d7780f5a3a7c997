// Starts Debian's Chromium through playwright-core (never a downloaded browser) and saves
// step screenshots into the git-ignored e2e/artifacts/ directory.
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'

export const ARTIFACTS_DIR = fileURLToPath(new URL('../artifacts/', import.meta.url))
export const CHROMIUM = '/usr/bin/chromium'

export const DESKTOP = { width: 1280, height: 800 }
export const PHONE = { width: 390, height: 844 }

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

/**
 * Screenshots at desktop and phone widths (<prefix>-<step>-desktop.png, -phone.png), then
 * back to the page's own size. Returns how far the page scrolls sideways at phone width.
 */
export async function screenshotsAtBothWidths (page: Page, step: string, prefix: string): Promise<number> {
  const own = page.viewportSize() ?? DESKTOP
  await page.setViewportSize(DESKTOP)
  await screenshot(page, `${step}-desktop`, prefix)
  await page.setViewportSize(PHONE)
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  await screenshot(page, `${step}-phone`, prefix)
  await page.setViewportSize(own)
  return overflow
}
