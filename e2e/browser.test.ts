// The web page in a real browser (Debian's Chromium via playwright-core), against the running
// stack over HTTPS. The whole account lifecycle, driven with the keyboard only (Tab, Shift+Tab,
// Enter, Space and typing): register -> activate -> sign in -> change password -> sign out ->
// forgot -> reset -> sign in -> delete; signing out everywhere; resending codes; validation.
// At every view axe-core must find no violation, and no step may log a console error or meet a
// failed request except the refusal that step provokes on purpose (allowed explicitly).
// Each step leaves screenshots at desktop and phone widths in e2e/artifacts/ (git-ignored).
//
// Needs E2E_BASE_URL and INBOX_API (npm test sets both) and services/web built before the stack started.
import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import type { APIRequestContext, Browser, BrowserContext, Page } from 'playwright-core'
import { axeViolations } from './support/axe.js'
import { DESKTOP, launchChromium, PHONE, screenshotsAtBothWidths } from './support/browser.js'
import { readCodeFromInbox } from './support/inbox.js'
import { focused, tabTo, typeInto } from './support/keyboard.js'
import { PageWatch } from './support/page-watch.js'
import { uniqueEmail } from './support/stack-env.js'

const BASE_URL = process.env.E2E_BASE_URL?.replace(/\/$/, '')
const INBOX_API = process.env.INBOX_API?.replace(/\/$/, '')
const PASSWORD = 'a calm Latchkey passphrase 7'
const CHANGED_PASSWORD = 'another Latchkey passphrase 8'
const RESET_PASSWORD = 'a third Latchkey passphrase 9'

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

/** Another digit at the end: a code of the right shape that is wrong. */
const wrongCode = (code: string): string => code.replace(/\d$/, (d) => String((Number(d) + 1) % 10))

if (BASE_URL === undefined || BASE_URL === '' || INBOX_API === undefined || INBOX_API === '') {
  t.fail('E2E_BASE_URL and INBOX_API must be set (npm test sets them from .stack/test/env; ' +
    'by hand: set -a; . .stack/test/env; set +a). Refusing to skip the browser test.')
} else {
  await browserTests(BASE_URL, INBOX_API)
}

interface Tab {
  context: BrowserContext
  page: Page
  watch: PageWatch
  /** Checks the view shown now (axe, no problem so far, nothing wider than a phone) and saves its screenshots. */
  step: (name: string) => Promise<void>
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

  /** A fresh browser profile whose page is watched; `step` runs the checks every view gets. */
  async function openTab (t: Test, prefix: string, viewport = DESKTOP): Promise<Tab> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport, locale: 'en-GB' })
    t.teardown(async () => { await context.close() })
    const page = await context.newPage()
    page.setDefaultTimeout(15_000)
    const watch = new PageWatch(page)
    let counter = 0
    const step = async (name: string): Promise<void> => {
      const label = `${String(++counter).padStart(2, '0')}-${name}`
      t.same(await axeViolations(page), [], `${label}: axe finds no violation`)
      t.same(await watch.problems(), [], `${label}: no console error, no failed request but those allowed`)
      t.equal(await screenshotsAtBothWidths(page, label, prefix), 0, `${label}: nothing scrolls sideways at ${PHONE.width} px`)
    }
    return { context, page, watch, step }
  }

  const text = async (page: Page, selector: string): Promise<string> => ((await page.locator(selector).textContent()) ?? '').trim()
  const visibleViews = async (page: Page): Promise<string> =>
    await page.evaluate(() => Array.from(document.querySelectorAll('main > section')).filter((s) => !(s as HTMLElement).hidden).map((s) => s.id).join(','))
  const waitForView = async (page: Page, view: string): Promise<void> => {
    await page.locator(`#view-${view}`).waitFor({ state: 'visible', timeout: 20_000 })
  }
  const waitForText = async (page: Page, selector: string): Promise<string> => {
    await page.locator(`${selector}:not(:empty)`).waitFor()
    return await text(page, selector)
  }
  /** The focused element and whether a keyboard user can see it. */
  const focusIs = async (t: Test, page: Page, id: string): Promise<void> => {
    t.same(await focused(page), { id, visible: true }, `focus on #${id}, visibly`)
  }
  /** Tabs to a form's submit button and presses it, as a keyboard user would. */
  const submitWithKeyboard = async (page: Page, form: string): Promise<void> => {
    await tabTo(page, `#${form}-form button[type=submit]`)
    await page.keyboard.press('Space')
  }
  /** Signs in on the sign-in view with credentials the API refuses with `status`; the alert's sentence. */
  const signInRefused = async (page: Page, watch: PageWatch, email: string, password: string, status: number): Promise<string> => {
    await typeInto(page, '#signin-email', email)
    await typeInto(page, '#signin-password', password)
    watch.allow(status, 'POST', '/login')
    await page.keyboard.press('Enter')
    return await waitForText(page, '#signin-alert')
  }
  /** Enter submits the form, which is refused: the alert says why, and the focus goes to the field to fix. */
  const submitRefused = async (t: Test, page: Page, alert: string, sentence: string, focusId: string): Promise<void> => {
    await page.keyboard.press('Enter')
    t.equal(await waitForText(page, alert), sentence)
    await focusIs(t, page, focusId)
  }
  /** A key pressed where the focus is leads to a view, with the focus where it belongs there. */
  const pressAndLand = async (t: Test, page: Page, key: string, view: string, focusId: string): Promise<void> => {
    await page.keyboard.press(key)
    await waitForView(page, view)
    await focusIs(t, page, focusId)
  }
  /** The session's cookies; the device cookie outlives sessions on purpose (it keeps this browser's sign-ins apart from strangers' lockout). */
  const cookieNames = async (context: BrowserContext): Promise<string[]> => (await context.cookies(baseUrl)).map((c) => c.name).filter((name) => name !== '__Host-latchkey_device').sort()

  /** Registers and activates an account through the API (for the tests that are about later steps). */
  async function activatedAccount (request: APIRequestContext, label: string): Promise<string> {
    const email = uniqueEmail(label)
    const registered = await request.post(`${baseUrl}/register`, { data: { email, password: PASSWORD } })
    if (registered.status() !== 201) throw new Error(`register: ${registered.status()} ${await registered.text()}`)
    const { code } = await readCodeFromInbox(inboxApi, email)
    const verified = await request.post(`${baseUrl}/verify`, {
      data: { verification_code: code },
      headers: { Authorization: `Basic ${Buffer.from(`${email}:${PASSWORD}`).toString('base64')}` }
    })
    if (verified.status() !== 200) throw new Error(`verify: ${verified.status()} ${await verified.text()}`)
    return email
  }

  /** Signs in through the form with the keyboard, from wherever the focus is on the sign-in view. */
  async function signInWithKeyboard (page: Page, email: string, password: string): Promise<void> {
    if (await page.locator('#signin-email').inputValue() !== email) {
      await tabTo(page, '#signin-email', { backwards: true })
      await page.keyboard.type(email)
    }
    await typeInto(page, '#signin-password', password)
    await page.keyboard.press('Enter')
    await waitForView(page, 'profile')
  }

  t.test('security headers on the page and the API', async (t) => {
    // One comparison per answer, so a missing include reads as one clear failure, not dozens.
    for (const path of ['/', '/app/main.js', '/health', '/no-such-route']) {
      const headers = (await http.request.get(`${baseUrl}${path}`)).headers()
      const sent = Object.fromEntries([...SECURITY_HEADERS.keys()].map((name) => [name, headers[name]]))
      t.same(sent, Object.fromEntries(SECURITY_HEADERS), `${path}: the security headers (nginx must include nginx/security-headers.conf)`)
    }
  })

  t.test('the whole lifecycle with the keyboard: register, activate, sign in, change password, sign out, forgot, reset, sign in, delete', async (t) => {
    const { context, page, watch, step } = await openTab(t, 'lifecycle')
    const email = uniqueEmail('web-life')

    // A first visit: the register view, and no request about a session there is not.
    await page.goto(`${baseUrl}/`)
    await waitForView(page, 'register')
    t.equal(await page.title(), 'Create an account · Latchkey')
    t.equal(watch.count('POST /token/refresh'), 0, 'a first visit does not ask for a session')
    t.equal(await page.locator('#activate-inbox').getAttribute('href'), 'http://127.0.0.1:8025/', 'the development inbox link is MailHog\'s UI')
    await step('register')

    await typeInto(page, '#register-email', email)
    await typeInto(page, '#register-password', PASSWORD)
    await typeInto(page, '#register-confirm', PASSWORD)
    await pressAndLand(t, page, 'Enter', 'activate', 'activate-code')
    t.equal(await page.locator('#activate-email').inputValue(), email, 'the email is carried over')
    t.match(await text(page, '#activate-status'), /emailed you a verification code/)
    t.match(await text(page, '#activate-code-timer'), /^Code valid for (\d+ min )?\d+ s\.$/, 'the code lifetime counts down')
    t.equal(await page.locator('#activate-resend').getAttribute('aria-disabled'), 'true', 'resend waits for resend_available_at')
    t.match(await text(page, '#activate-resend-hint'), /^You can ask for a new code in (\d+ min )?\d+ s\.$/)
    const before = await text(page, '#activate-code-timer')
    await page.waitForFunction((shown) => document.getElementById('activate-code-timer')?.textContent !== shown, before, { timeout: 5_000 })
    t.ok(secondsIn(await text(page, '#activate-code-timer')) < secondsIn(before), 'the countdown counts down')
    await step('activate')

    // A wrong code first: the server's answer as a sentence, the field marked and focused, its text selected.
    const { code } = await readCodeFromInbox(inboxApi, email)
    watch.allow(403, 'POST', '/verify')
    await page.keyboard.type(wrongCode(code))
    await page.keyboard.press('Enter')
    t.equal(await waitForText(page, '#activate-alert'), 'That code is not right. 4 attempts left.')
    t.equal(await page.locator('#activate-code').getAttribute('aria-invalid'), 'true')
    await focusIs(t, page, 'activate-code')
    await step('activate-wrong-code')

    await page.keyboard.type(code) // replaces the selected wrong code
    await page.keyboard.press('Enter')
    await waitForView(page, 'signin')
    t.match(await text(page, '#signin-status'), /activated/)
    t.equal(await page.locator('#signin-email').inputValue(), email)
    await focusIs(t, page, 'signin-password')
    await step('signin')

    await signInWithKeyboard(page, email, PASSWORD)
    t.equal(await text(page, '#profile-email'), email)
    t.equal(await text(page, '#profile-activated'), 'Yes')
    await focusIs(t, page, 'profile-title')
    // Tokens: the refresh token only in an HttpOnly cookie; the page sees only the hint beside it.
    const storage = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie }))
    t.same(storage, { local: 0, session: 0, cookie: 'latchkey_session=1' }, 'no token in web storage or a script-readable cookie')
    t.match((await context.cookies(baseUrl)).find((c) => c.name === '__Host-latchkey_refresh'), { httpOnly: true, secure: true, sameSite: 'Strict', path: '/' })
    t.match((await context.cookies(baseUrl)).find((c) => c.name === '__Host-latchkey_device'), { httpOnly: true, secure: true, sameSite: 'Strict' }, 'and a device cookie')
    await step('profile')

    // A reload keeps the session: the cookie is traded for a new access token, once.
    await page.reload()
    await waitForView(page, 'profile')
    t.equal(await text(page, '#profile-email'), email, 'still signed in after a reload')
    t.equal(watch.count('POST /token/refresh'), 1)

    // Change the password: a wrong current one first.
    await typeInto(page, '#change-current', 'not the password')
    await typeInto(page, '#change-password', CHANGED_PASSWORD)
    await typeInto(page, '#change-confirm', CHANGED_PASSWORD)
    watch.allow(401, 'POST', '/me/password')
    await submitRefused(t, page, '#change-alert', 'Your current password is not right.', 'change-current')
    await step('change-password-wrong-current')

    await page.keyboard.type(PASSWORD)
    await pressAndLand(t, page, 'Enter', 'signin', 'signin-password')
    t.equal(await text(page, '#signin-status'), 'Password changed. Sign in again with the new one.')
    t.same(await cookieNames(context), [], 'every session ended, this one too: its cookies are gone')
    await step('password-changed')

    // Sign in with the new password, then sign out.
    await signInWithKeyboard(page, email, CHANGED_PASSWORD)
    await tabTo(page, '#signout-button')
    await pressAndLand(t, page, 'Space', 'signin', 'signin-password')
    t.equal(await text(page, '#signin-status'), 'You are signed out.')
    t.same(await cookieNames(context), [], 'the cookies are gone')
    await step('signed-out')

    // Forgot: the address typed on the sign-in view goes along.
    await tabTo(page, '#signin-forgot')
    await pressAndLand(t, page, 'Enter', 'forgot', 'forgot-title')
    t.equal(await page.locator('#forgot-email').inputValue(), email)
    await step('forgot')

    await tabTo(page, '#forgot-form button[type=submit]')
    await pressAndLand(t, page, 'Space', 'reset', 'reset-code')
    t.equal(await page.locator('#reset-email').inputValue(), email)
    t.match(await text(page, '#reset-status'), /^If an account uses this address, we emailed it a reset code\./)
    t.match(await text(page, '#reset-code-timer'), /^Code valid for (\d+ min )?\d+ s\.$/, 'the reset code\'s lifetime counts down')
    t.equal(await page.locator('#reset-resend').getAttribute('aria-disabled'), 'true', 'a new code waits')
    t.match(await text(page, '#reset-resend-hint'), /^You can ask for a new code in (\d+ min )?\d+ s\.$/)
    await step('reset')

    const reset = await readCodeFromInbox(inboxApi, email, { skip: 1 })
    await page.keyboard.type(wrongCode(reset.code))
    await typeInto(page, '#reset-password', RESET_PASSWORD)
    await typeInto(page, '#reset-confirm', RESET_PASSWORD)
    watch.allow(403, 'POST', '/password/reset')
    await submitRefused(t, page, '#reset-alert', 'That code is not right or no longer works. Check the latest email, or send a new code.', 'reset-code')
    await step('reset-wrong-code')

    await page.keyboard.type(reset.code)
    await pressAndLand(t, page, 'Enter', 'signin', 'signin-password')
    t.equal(await text(page, '#signin-status'), 'Your password is changed. Sign in with the new one.')
    await step('password-reset')

    // Sign in with the reset password, then delete the account.
    await signInWithKeyboard(page, email, RESET_PASSWORD)
    await step('profile-again')
    await typeInto(page, '#delete-current', RESET_PASSWORD)
    await pressAndLand(t, page, 'Enter', 'register', 'register-status')
    t.equal(await text(page, '#register-status'), 'Your account is deleted.')
    t.same(await cookieNames(context), [], 'no cookie left')
    await step('deleted')

    // The account is gone: signing in with it is refused.
    await tabTo(page, '#nav [data-view=signin]', { backwards: true })
    await pressAndLand(t, page, 'Enter', 'signin', 'signin-title')
    t.equal(await signInRefused(page, watch, email, RESET_PASSWORD, 401), 'The email address or password is not right.')
    await step('deleted-account-refused')
  })

  t.test('sign out everywhere, at phone width: the other browser\'s session ends too', async (t) => {
    const email = await activatedAccount(http.request, 'web-everywhere')
    const here = await openTab(t, 'everywhere', PHONE)
    const there = await openTab(t, 'everywhere-other', PHONE)
    for (const { page } of [here, there]) {
      await page.goto(`${baseUrl}/`)
      await waitForView(page, 'register')
      await tabTo(page, '#nav [data-view=signin]')
      await page.keyboard.press('Enter')
      await typeInto(page, '#signin-email', email)
      await signInWithKeyboard(page, email, PASSWORD)
    }
    const { page, watch, step } = here

    // The forms on the profile check their fields before asking anything.
    await submitWithKeyboard(page, 'change')
    t.equal(await text(page, '#change-current-error'), 'Enter your password.')
    t.equal(await text(page, '#change-password-error'), 'Choose a password.')
    t.equal(await text(page, '#change-confirm-error'), 'Type the password again to confirm it.')
    await focusIs(t, page, 'change-current')
    await typeInto(page, '#change-password', 'short')
    await typeInto(page, '#change-confirm', 'shorter')
    await page.keyboard.press('Enter')
    t.equal(await text(page, '#change-password-error'), 'Use at least 8 characters for your password (this one has 5).')
    t.equal(await text(page, '#change-confirm-error'), 'The two passwords do not match.')
    await tabTo(page, '#delete-form button[type=submit]')
    await page.keyboard.press('Enter')
    t.equal(await text(page, '#delete-current-error'), 'Enter your password.')
    await focusIs(t, page, 'delete-current')
    t.equal(watch.count('POST /me/password') + watch.count('DELETE /me'), 0, 'no request for a form that is not filled in right')
    await step('profile-invalid')

    await tabTo(page, '#signout-everywhere-button', { backwards: true })
    await pressAndLand(t, page, 'Enter', 'signin', 'signin-password')
    t.equal(await text(page, '#signin-status'), 'Signed out of every session. Sign in again on each device you use.')
    t.same(await cookieNames(here.context), [], 'this browser\'s cookies are gone')
    await step('signed-out-everywhere')

    // The other browser still holds its cookies; on its next load the API refuses them.
    there.watch.allow(401, 'POST', '/token/refresh')
    await there.page.reload()
    await waitForView(there.page, 'signin')
    t.equal(await text(there.page, '#signin-status'), 'Your session has ended. Please sign in again.')
    await focusIs(t, there.page, 'signin-email')
    t.equal(await there.page.evaluate(() => document.cookie), '', 'the page dropped the session hint')
    await there.step('session-ended')
    await there.page.reload()
    await waitForView(there.page, 'register')
    t.equal(there.watch.count('POST /token/refresh'), 1, 'the next load asks nothing: the only refresh was the refused one')
    await there.step('next-visit')
  })

  t.test('validation and waiting: client-side messages, and a locked address counts down Retry-After', async (t) => {
    const { page, watch, step } = await openTab(t, 'validation', PHONE)
    await page.goto(`${baseUrl}/`)
    await waitForView(page, 'register')

    await submitWithKeyboard(page, 'register')
    t.equal(await text(page, '#register-email-error'), 'Enter your email address.')
    t.equal(await text(page, '#register-password-error'), 'Choose a password.')
    t.equal(await text(page, '#register-confirm-error'), 'Type the password again to confirm it.')
    await focusIs(t, page, 'register-email')
    t.equal(await page.locator('#register-email').getAttribute('aria-invalid'), 'true')
    t.match(await page.locator('#register-email').getAttribute('aria-describedby'), /register-email-error/, 'the message is tied to the field')
    await step('register-empty')

    await page.keyboard.type('not-an-email')
    await typeInto(page, '#register-password', '😀😀😀😀😀😀😀')
    await typeInto(page, '#register-confirm', 'something else')
    await page.keyboard.press('Enter')
    t.equal(await text(page, '#register-email-error'), 'Enter a valid email address, like name@example.com.')
    t.equal(await text(page, '#register-password-error'), 'Use at least 8 characters for your password (this one has 7).', 'code points, not UTF-16 units')
    t.equal(await text(page, '#register-confirm-error'), 'The two passwords do not match.')
    await step('register-invalid')

    // A server-side rule the page cannot know: the common-password list.
    await page.keyboard.type(uniqueEmail('web-common')) // the email field has the focus, its text selected
    await tabTo(page, '#register-password')
    await page.keyboard.press('Control+A')
    await page.keyboard.type('password')
    await tabTo(page, '#register-confirm')
    await page.keyboard.press('Control+A')
    await page.keyboard.type('password')
    watch.allow(400, 'POST', '/register')
    await submitRefused(t, page, '#register-alert', 'This password is one of the most common ones. Choose one that is harder to guess.', 'register-password')
    await step('register-common-password')

    // The forgotten-password forms check theirs too, and say nothing when all is well-formed.
    await tabTo(page, '#nav [data-view=signin]', { backwards: true })
    await page.keyboard.press('Enter')
    await tabTo(page, '#signin-forgot')
    await page.keyboard.press('Enter')
    await waitForView(page, 'forgot')
    await typeInto(page, '#forgot-email', 'nobody@')
    await page.keyboard.press('Enter')
    t.equal(await text(page, '#forgot-email-error'), 'Enter a valid email address, like name@example.com.')
    await tabTo(page, '#forgot-have-code')
    await page.keyboard.press('Enter')
    await waitForView(page, 'reset')
    t.equal(await text(page, '#reset-code-timer'), '', 'no code was asked for here: no countdown')
    await submitWithKeyboard(page, 'reset')
    const digits = await page.locator('meta[name="latchkey-reset-code-length"]').getAttribute('content')
    t.equal(await text(page, '#reset-email-error'), 'Enter a valid email address, like name@example.com.')
    t.equal(await text(page, '#reset-code-error'), `Enter the ${digits ?? '?'}-digit code from the email.`)
    t.equal(await text(page, '#reset-password-error'), 'Choose a password.')
    await focusIs(t, page, 'reset-email')
    t.equal(watch.count('POST /password/forgot') + watch.count('POST /password/reset'), 0)
    await step('reset-invalid')

    // Ten failed sign-ins lock an address (whether or not it has an account); the page then waits out Retry-After.
    const locked = uniqueEmail('web-locked')
    for (let attempt = 0; attempt < 10; attempt++) {
      const response = await http.request.post(`${baseUrl}/login`, { data: { email: locked, password: 'wrong password' } })
      if (response.status() !== 401) throw new Error(`sign-in ${attempt + 1} answered ${response.status()}`)
    }
    await tabTo(page, '#nav [data-view=signin]', { backwards: true })
    await page.keyboard.press('Enter')
    await typeInto(page, '#signin-email', locked)
    await typeInto(page, '#signin-password', 'wrong password')
    watch.allow(429, 'POST', '/login')
    await page.keyboard.press('Enter')
    t.match(await waitForText(page, '#signin-alert'), /^Too many failed attempts with this address\. It is locked; try again in \d+ seconds\.$/)
    t.equal(await page.locator('#signin-form button[type=submit]').getAttribute('aria-disabled'), 'true', 'the button waits')
    const wait = secondsIn(await text(page, '#signin-wait'))
    t.ok(wait > 0 && wait <= 30, `the button says when it works again (${wait} s)`)
    t.match(await text(page, '#signin-wait'), /^You can try again in \d+ s\.$/)
    await page.keyboard.press('Enter')
    t.equal(watch.count('POST /login'), 1, 'pressing Enter while it waits sends nothing')
    await step('signin-locked')
  })

  t.test('resending codes: each button waits, then a new code replaces the old one', async (t) => {
    const { page, watch, step } = await openTab(t, 'resend')
    const email = uniqueEmail('web-resend')
    await page.goto(`${baseUrl}/`)
    await waitForView(page, 'register')
    await typeInto(page, '#register-email', email)
    await typeInto(page, '#register-password', PASSWORD)
    await typeInto(page, '#register-confirm', PASSWORD)
    await page.keyboard.press('Enter')
    await waitForView(page, 'activate')
    const first = await readCodeFromInbox(inboxApi, email)

    // Signing in before activating says what to do; the activation form keeps its countdowns.
    await tabTo(page, '#nav [data-view=signin]', { backwards: true })
    await page.keyboard.press('Enter')
    t.equal(await signInRefused(page, watch, email, PASSWORD, 403), 'This account is not activated yet. Enter the code we emailed you under “Activate”.')
    await step('signin-not-activated')
    await tabTo(page, '#nav [data-view=activate]', { backwards: true })
    await page.keyboard.press('Enter')
    t.equal(await page.locator('#activate-email').inputValue(), email)
    t.match(await text(page, '#activate-code-timer'), /^Code valid for/)

    // Pressing it early does nothing (aria-disabled keeps it focusable for screen readers).
    await tabTo(page, '#activate-resend')
    await page.keyboard.press('Space')
    t.equal(watch.count('POST /verify/resend'), 0, 'no request while the button waits')
    const waitSeconds = secondsIn(await text(page, '#activate-resend-hint'))
    t.ok(waitSeconds > 0 && waitSeconds <= 3600, `the hint counts down (${waitSeconds} s)`)
    await page.locator('#activate-resend:not([aria-disabled])').waitFor({ timeout: (waitSeconds + 5) * 1000 })
    t.equal(await text(page, '#activate-resend-hint'), '', 'the hint goes away when the button works')
    await step('activate-resend-ready')

    await page.keyboard.press('Space')
    await page.locator('#activate-status:has-text("new code")').waitFor()
    t.match(await text(page, '#activate-status'), /Enter the new code; the old one no longer works\.$/)
    t.equal(await page.locator('#activate-resend').getAttribute('aria-disabled'), 'true', 'and waits again')
    await focusIs(t, page, 'activate-code')
    const second = await readCodeFromInbox(inboxApi, email, { skip: 1 })
    await step('activate-resent')

    if (second.code !== first.code) {
      watch.allow(403, 'POST', '/verify')
      await page.keyboard.type(first.code)
      await page.keyboard.press('Enter')
      t.match(await waitForText(page, '#activate-alert'), /not right/, 'the old code no longer works')
    }
    await page.keyboard.type(second.code)
    await page.keyboard.press('Enter')
    await waitForView(page, 'signin')
    t.match(await text(page, '#signin-status'), /activated/)

    // The reset code's resend waits the same way.
    await tabTo(page, '#signin-forgot')
    await page.keyboard.press('Enter')
    await tabTo(page, '#forgot-form button[type=submit]')
    await page.keyboard.press('Enter')
    await waitForView(page, 'reset')
    const firstReset = await readCodeFromInbox(inboxApi, email, { skip: 2 })
    await tabTo(page, '#reset-resend')
    await page.keyboard.press('Enter')
    t.equal(watch.count('POST /password/forgot'), 1, 'no second request while the button waits')
    const resetWait = secondsIn(await text(page, '#reset-resend-hint'))
    t.ok(resetWait > 0, `the reset hint counts down (${resetWait} s)`)
    await page.locator('#reset-resend:not([aria-disabled])').waitFor({ timeout: (resetWait + 5) * 1000 })
    await page.keyboard.press('Enter')
    await page.locator('#reset-status:has-text("new code")').waitFor()
    await focusIs(t, page, 'reset-code')
    const secondReset = await readCodeFromInbox(inboxApi, email, { skip: 3 })
    t.not(secondReset.receivedAt.getTime(), firstReset.receivedAt.getTime(), 'a second reset mail came')
    await step('reset-resent')

    await page.keyboard.type(secondReset.code)
    await typeInto(page, '#reset-password', RESET_PASSWORD)
    await typeInto(page, '#reset-confirm', RESET_PASSWORD)
    await page.keyboard.press('Enter')
    await waitForView(page, 'signin')
    t.equal(await text(page, '#signin-status'), 'Your password is changed. Sign in with the new one.')
    await signInWithKeyboard(page, email, RESET_PASSWORD)
    t.equal(await visibleViews(page), 'view-profile')
    await step('signed-in-after-reset')
  })
}
