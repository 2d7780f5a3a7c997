// The web page in a real browser (Debian's Chromium via playwright-core), against the running
// stack over HTTPS: register -> code from the inbox -> activate -> sign in -> profile -> sign out,
// the client-side validation messages, the resend countdown, and how tokens are kept.
// Every step leaves a screenshot in e2e/artifacts/ (git-ignored).
//
// Needs E2E_BASE_URL and INBOX_API (npm test sets both) and services/web built before the stack started.
import t from 'tap'
import { readFileSync } from 'node:fs'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { launchChromium, screenshot } from './support/browser.js'
import { readCodeFromInbox } from './support/inbox.js'
import { uniqueEmail } from './support/stack-env.js'

const BASE_URL = process.env.E2E_BASE_URL?.replace(/\/$/, '')
const INBOX_API = process.env.INBOX_API?.replace(/\/$/, '')
const PASSWORD = 'a calm Latchkey passphrase 7'

/** The headers nginx must send, read from the file nginx includes: one source of truth. */
const SECURITY_HEADERS = new Map(
  [...readFileSync(new URL('../nginx/security-headers.conf', import.meta.url), 'utf8')
    .matchAll(/^add_header\s+(\S+)\s+"([^"]*)"\s+always;/gm)]
    .map(([, name, value]) => [name!.toLowerCase(), value!])
)

/** "Code valid for 1 min 05 s." -> 65 */
const secondsIn = (shown: string): number => {
  const m = /(?:(\d+) min )?(\d+) s/.exec(shown)
  return m === null ? NaN : Number(m[1] ?? 0) * 60 + Number(m[2])
}

if (BASE_URL === undefined || BASE_URL === '' || INBOX_API === undefined || INBOX_API === '') {
  t.fail('E2E_BASE_URL and INBOX_API must be set (npm test sets them from .stack/test/env; ' +
    'by hand: set -a; . .stack/test/env; set +a). Refusing to skip the browser test.')
} else {
  await browserTests(BASE_URL, INBOX_API)
}

async function browserTests (baseUrl: string, inboxApi: string): Promise<void> {
  const browser: Browser = await launchChromium()
  t.teardown(async () => { await browser.close() })

  // Requests outside a page go through Playwright too: it accepts the stack's self-signed certificate.
  const http = await browser.newContext({ ignoreHTTPSErrors: true })
  t.teardown(async () => { await http.close() })
  const pageCheck = await http.request.get(`${baseUrl}/`).then(async (r) => await r.text()).catch((error: Error) => `unreachable: ${error.message}`)
  if (!pageCheck.includes('/app/main.js')) {
    t.fail(`${baseUrl}/ is not the Latchkey web page. Build it (npm run build -w services/web) before the stack starts; got: ${pageCheck.slice(0, 120)}`)
    return
  }

  /** A fresh browser profile; reports CSP violations and uncaught errors into `problems`. */
  async function openPage (viewport = { width: 1024, height: 800 }): Promise<{ context: BrowserContext, page: Page, problems: string[] }> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport, locale: 'en-GB' })
    const page = await context.newPage()
    page.setDefaultTimeout(10_000)
    const problems: string[] = []
    page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`))
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`CSP: ${message.text()}`)
    })
    return { context, page, problems }
  }

  const text = async (page: Page, selector: string): Promise<string> => ((await page.locator(selector).textContent()) ?? '').trim()
  const focusedId = async (page: Page): Promise<string> => await page.evaluate(() => document.activeElement?.id ?? '')
  const visibleView = async (page: Page): Promise<string> =>
    await page.evaluate(() => Array.from(document.querySelectorAll('main > section')).filter((s) => !(s as HTMLElement).hidden).map((s) => s.id).join(','))
  const waitForView = async (page: Page, view: string): Promise<void> => {
    await page.locator(`#view-${view}`).waitFor({ state: 'visible', timeout: 15_000 })
  }

  /** Fills the registration form with the keyboard and waits for the activation view. */
  const registerThroughForm = async (page: Page, email: string): Promise<void> => {
    await page.locator('#register-email').fill(email)
    await page.locator('#register-password').fill(PASSWORD)
    await page.locator('#register-confirm').fill(PASSWORD)
    await page.locator('#register-confirm').press('Enter')
    await waitForView(page, 'activate')
  }

  t.test('security headers on the page and the API', async (t) => {
    // One comparison per answer, so a missing include reads as one clear failure, not dozens.
    for (const path of ['/', '/app/main.js', '/health', '/no-such-route']) {
      const headers = (await http.request.get(`${baseUrl}${path}`)).headers()
      const sent = Object.fromEntries([...SECURITY_HEADERS.keys()].map((name) => [name, headers[name]]))
      t.same(sent, Object.fromEntries(SECURITY_HEADERS), `${path}: the security headers (nginx must include nginx/security-headers.conf)`)
    }
  })

  t.test('register, read the code, activate, sign in, see the profile, sign out', async (t) => {
    const { context, page, problems } = await openPage()
    t.teardown(async () => { await context.close() })
    const email = uniqueEmail('web-flow')

    await page.goto(`${baseUrl}/`)
    await waitForView(page, 'register')
    t.equal(await page.title(), 'Create an account · Latchkey')
    const inboxLink = page.locator('#inbox-link')
    t.match(await inboxLink.getAttribute('href'), /^https?:\/\//, 'the development inbox link is there')
    await screenshot(page, '01-register')

    // Register, using the keyboard only.
    await registerThroughForm(page, email)
    t.equal(await page.locator('#activate-email').inputValue(), email, 'the email is carried over')
    t.equal(await focusedId(page), 'activate-code', 'focus waits in the code field')
    t.match(await text(page, '#activate-status'), /emailed you a verification code/)
    t.match(await text(page, '#activate-code-timer'), /^Code valid for (\d+ min )?\d+ s\.$/, 'the countdown runs')
    t.equal(await page.locator('#resend-button').getAttribute('aria-disabled'), 'true', 'resend waits for resend_available_at')
    t.match(await text(page, '#resend-hint'), /^You can ask for a new code in (\d+ min )?\d+ s\.$/)
    const before = await text(page, '#activate-code-timer')
    await page.waitForFunction((shown) => document.getElementById('activate-code-timer')?.textContent !== shown, before, { timeout: 3_000 })
    t.ok(secondsIn(await text(page, '#activate-code-timer')) < secondsIn(before), 'the countdown counts down')
    await screenshot(page, '02-activate')

    // A wrong code first: the server's answer, as a sentence under the form.
    const { code } = await readCodeFromInbox(inboxApi, email)
    const wrong = code.replace(/\d$/, (d) => String((Number(d) + 1) % 10))
    await page.locator('#activate-code').fill(wrong)
    await page.locator('#activate-code').press('Enter')
    await page.locator('#activate-alert:not(:empty)').waitFor()
    t.equal(await text(page, '#activate-alert'), 'That code is not right. 4 attempts left.')
    t.equal(await page.locator('#activate-code').getAttribute('aria-invalid'), 'true')
    t.equal(await focusedId(page), 'activate-code')
    await screenshot(page, '03-activate-wrong-code')

    await page.locator('#activate-code').fill(code)
    await page.locator('#activate-form').getByRole('button', { name: 'Activate' }).click()
    await waitForView(page, 'signin')
    t.match(await text(page, '#signin-status'), /activated/)
    t.equal(await page.locator('#signin-email').inputValue(), email)
    t.equal(await focusedId(page), 'signin-password')
    await screenshot(page, '04-signin')

    await page.locator('#signin-password').fill('not the password')
    await page.locator('#signin-password').press('Enter')
    await page.locator('#signin-alert:not(:empty)').waitFor()
    t.equal(await text(page, '#signin-alert'), 'The email address or password is not right.')
    await screenshot(page, '05-signin-wrong-password')

    await page.locator('#signin-password').fill(PASSWORD)
    await page.locator('#signin-form').getByRole('button', { name: 'Sign in' }).click()
    await waitForView(page, 'profile')
    t.equal(await text(page, '#profile-email'), email)
    t.equal(await text(page, '#profile-activated'), 'Yes')
    t.match(await text(page, '#profile-id'), /\S/)
    t.equal(await focusedId(page), 'profile-title')
    await screenshot(page, '06-profile')

    // Tokens: the refresh token only in an HttpOnly cookie, nothing in web storage.
    const storage = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie }))
    t.same(storage, { local: 0, session: 0, cookie: '' }, 'no token in localStorage, sessionStorage or a script-readable cookie')
    const refreshCookie = (await context.cookies(baseUrl)).find((c) => c.name === 'latchkey_refresh')
    t.ok(refreshCookie, 'the API set the refresh cookie')
    t.match(refreshCookie, { httpOnly: true, secure: true, sameSite: 'Strict' })

    // A reload keeps the session: the cookie is traded for a new access token.
    await page.reload()
    await waitForView(page, 'profile')
    t.equal(await text(page, '#profile-email'), email, 'still signed in after a reload')
    await screenshot(page, '07-profile-after-reload')

    await page.getByRole('button', { name: 'Sign out' }).click()
    await waitForView(page, 'signin')
    t.equal(await text(page, '#signin-status'), 'You are signed out.')
    t.notOk((await context.cookies(baseUrl)).some((c) => c.name === 'latchkey_refresh'), 'the refresh cookie is gone')
    await screenshot(page, '08-signed-out')

    await page.reload()
    await waitForView(page, 'register')
    t.equal(await visibleView(page), 'view-register', 'after signing out, a reload does not sign in again')

    // The same address again: the server's 409, as a sentence under the register form.
    await page.locator('#register-email').fill(email)
    await page.locator('#register-password').fill(PASSWORD)
    await page.locator('#register-confirm').fill(PASSWORD)
    await page.locator('#register-confirm').press('Enter')
    await page.locator('#register-alert:not(:empty)').waitFor()
    t.equal(await text(page, '#register-alert'), 'An account with this email address already exists. Sign in instead.')
    t.equal(await focusedId(page), 'register-email')
    await screenshot(page, '09-register-email-taken')
    t.same(problems, [], 'no CSP violation and no uncaught error')
  })

  t.test('validation messages, at 375 px wide', async (t) => {
    const { context, page, problems } = await openPage({ width: 375, height: 740 })
    t.teardown(async () => { await context.close() })
    await page.goto(`${baseUrl}/`)
    await waitForView(page, 'register')

    await page.locator('#register-form').getByRole('button', { name: 'Register' }).click()
    t.equal(await text(page, '#register-email-error'), 'Enter your email address.')
    t.equal(await text(page, '#register-password-error'), 'Choose a password.')
    t.equal(await text(page, '#register-confirm-error'), 'Type the password again to confirm it.')
    t.equal(await focusedId(page), 'register-email', 'focus goes to the first invalid field')
    t.equal(await page.locator('#register-email').getAttribute('aria-invalid'), 'true')
    t.match(await page.locator('#register-email').getAttribute('aria-describedby'), /register-email-error/, 'the message is tied to the field')
    await screenshot(page, '10-register-empty', 'validation')

    await page.locator('#register-email').fill('not-an-email')
    await page.locator('#register-password').fill('😀😀😀😀😀😀😀')
    await page.locator('#register-confirm').fill('something else')
    await page.locator('#register-confirm').press('Enter')
    t.equal(await text(page, '#register-email-error'), 'Enter a valid email address, like name@example.com.')
    t.equal(await text(page, '#register-password-error'), 'Use at least 8 characters for your password (this one has 7).', 'code points, not UTF-16 units')
    t.equal(await text(page, '#register-confirm-error'), 'The two passwords do not match.')
    await screenshot(page, '11-register-invalid', 'validation')

    await page.locator('#register-password').fill('x'.repeat(257))
    await page.locator('#register-password').press('Enter')
    t.equal(await text(page, '#register-password-error'), 'Use at most 256 characters for your password (this one has 257).')

    // A server-side rule the page cannot know: the common-password list.
    const email = uniqueEmail('web-common')
    await page.locator('#register-email').fill(email)
    await page.locator('#register-password').fill('password')
    await page.locator('#register-confirm').fill('password')
    await page.locator('#register-confirm').press('Enter')
    await page.locator('#register-alert:not(:empty)').waitFor()
    t.equal(await text(page, '#register-alert'), 'This password is one of the most common ones. Choose one that is harder to guess.')
    t.equal(await focusedId(page), 'register-password')
    await screenshot(page, '12-register-common-password', 'validation')

    await page.getByRole('navigation').getByRole('button', { name: 'Activate' }).click()
    await waitForView(page, 'activate')
    t.equal(await focusedId(page), 'activate-title', 'switching sections moves focus to the heading')
    await page.locator('#activate-email').fill(email)
    await page.locator('#activate-password').fill(PASSWORD)
    await page.locator('#activate-code').fill('12a')
    await page.locator('#activate-code').press('Enter')
    const digits = await page.locator('meta[name="latchkey-code-length"]').getAttribute('content')
    t.match(await text(page, '#activate-code-error'), new RegExp(`^The code is exactly ${digits} digits`))
    await page.locator('#activate-code').fill('')
    await page.locator('#activate-password').fill('')
    await page.locator('#activate-code').press('Enter')
    t.equal(await text(page, '#activate-password-error'), 'Enter your password.')
    t.equal(await text(page, '#activate-code-error'), `Enter the ${digits}-digit code from the email.`)
    t.equal(await focusedId(page), 'activate-password')
    await screenshot(page, '13-activate-invalid', 'validation')

    await page.getByRole('navigation').getByRole('button', { name: 'Sign in' }).click()
    await page.locator('#signin-email').fill(uniqueEmail('web-nobody'))
    await page.locator('#signin-password').fill('whatever it is')
    await page.locator('#signin-password').press('Enter')
    await page.locator('#signin-alert:not(:empty)').waitFor()
    t.equal(await text(page, '#signin-alert'), 'The email address or password is not right.')
    await screenshot(page, '14-signin-unknown', 'validation')

    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    t.equal(overflow, 0, 'nothing scrolls sideways at 375 px')
    t.same(problems, [], 'no CSP violation and no uncaught error')
  })

  t.test('resend: the button waits for resend_available_at, then a new code works', async (t) => {
    const { context, page, problems } = await openPage()
    t.teardown(async () => { await context.close() })
    const email = uniqueEmail('web-resend')
    await page.goto(`${baseUrl}/`)
    await waitForView(page, 'register')
    await registerThroughForm(page, email)
    const first = await readCodeFromInbox(inboxApi, email)

    // Signing in before activating says what to do; the activation form keeps its countdowns.
    await page.getByRole('navigation').getByRole('button', { name: 'Sign in' }).click()
    await page.locator('#signin-email').fill(email)
    await page.locator('#signin-password').fill(PASSWORD)
    await page.locator('#signin-password').press('Enter')
    await page.locator('#signin-alert:not(:empty)').waitFor()
    t.equal(await text(page, '#signin-alert'), 'This account is not activated yet. Enter the code we emailed you under “Activate”.')
    await screenshot(page, '19-signin-not-activated', 'resend')
    await page.getByRole('navigation').getByRole('button', { name: 'Activate' }).click()
    t.equal(await page.locator('#activate-email').inputValue(), email)
    t.match(await text(page, '#activate-code-timer'), /^Code valid for/)

    // Clicking early does nothing (aria-disabled keeps it focusable for screen readers).
    await page.locator('#resend-button').click({ force: true })
    t.equal(await text(page, '#activate-alert'), '', 'no request while the button waits')
    const waitSeconds = secondsIn(await text(page, '#resend-hint'))
    t.ok(waitSeconds > 0 && waitSeconds <= 3600, `the hint counts down (${waitSeconds} s)`)
    await page.locator('#resend-button:not([aria-disabled])').waitFor({ timeout: (waitSeconds + 5) * 1000 })
    t.equal(await text(page, '#resend-hint'), '', 'the hint goes away when the button works')
    await screenshot(page, '20-resend-ready', 'resend')

    await page.locator('#resend-button').click()
    await page.locator('#activate-status:has-text("new")').waitFor()
    t.match(await text(page, '#activate-status'), /new verification code/)
    t.equal(await page.locator('#resend-button').getAttribute('aria-disabled'), 'true', 'and waits again')
    const second = await readCodeFromInbox(inboxApi, email, { skip: 1 })
    await screenshot(page, '21-resent', 'resend')

    if (second.code !== first.code) {
      await page.locator('#activate-code').fill(first.code)
      await page.locator('#activate-code').press('Enter')
      await page.locator('#activate-alert:not(:empty)').waitFor()
      t.match(await text(page, '#activate-alert'), /not right/, 'the old code no longer works')
    }
    await page.locator('#activate-code').fill(second.code)
    await page.locator('#activate-code').press('Enter')
    await waitForView(page, 'signin')
    t.match(await text(page, '#signin-status'), /activated/)
    t.same(problems, [], 'no CSP violation and no uncaught error')
  })
}
