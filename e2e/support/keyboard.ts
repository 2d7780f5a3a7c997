// Keyboard-only driving: Tab and Shift+Tab to move, Enter and Space to act, typing into the
// focused field. Every stop is checked to show a visible focus indicator.
import type { Page } from 'playwright-core'

export interface Focus {
  /** The focused element's id, or its tag and text when it has none. */
  id: string
  /** It matches :focus-visible and draws an outline, as a keyboard user needs. */
  visible: boolean
}

export async function focused (page: Page): Promise<Focus> {
  return await page.evaluate(() => {
    const element = document.activeElement
    if (element === null || element === document.body) return { id: '(body)', visible: false }
    const style = getComputedStyle(element)
    const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
    return { id: element.id !== '' ? element.id : `${element.tagName.toLowerCase()}:${element.textContent?.trim() ?? ''}`, visible: element.matches(':focus-visible') && outlined }
  })
}

/**
 * Presses Tab (or Shift+Tab) until the focus is on `selector`, at most `limit` times; fails if it
 * never gets there or if the focus cannot be seen there.
 */
export async function tabTo (page: Page, selector: string, { backwards = false, limit = 40 } = {}): Promise<void> {
  for (let presses = 0; presses <= limit; presses++) {
    if (await page.evaluate((wanted) => document.activeElement?.matches(wanted) ?? false, selector)) {
      const focus = await focused(page)
      if (!focus.visible) throw new Error(`the focus on ${selector} is not visible`)
      return
    }
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab')
  }
  throw new Error(`${backwards ? 'Shift+Tab' : 'Tab'} did not reach ${selector} in ${limit} presses (focus on ${(await focused(page)).id})`)
}

/** Tabs to a field and types into it (the field must be empty or have its text selected). */
export async function typeInto (page: Page, selector: string, text: string, options: { backwards?: boolean } = {}): Promise<void> {
  await tabTo(page, selector, options)
  await page.keyboard.type(text)
}
