// Reads emailed codes from the stack's MailHog (INBOX_API is its root without the version, e.g.
// http://127.0.0.1:8125/api), through the inbox reader every workspace's tests share.
import { eventually, inboxFor, type InboxMail } from '../../shared/test-support/index.ts'

export interface InboxCode {
  code: string
  receivedAt: Date
}

/** The code in a Latchkey mail: the subject ends with it ("Your Latchkey activation code: 0427"). */
function codeOf (mail: InboxMail): string | undefined {
  return /(\d{4,10})\s*$/.exec(mail.subject)?.[1]
}

/** A code mail's subject names its code; a security notice's names none ("Your Latchkey password was changed"). */
const isCodeMail = (mail: InboxMail): boolean => /code: \d+$/.test(mail.subject)

/**
 * Waits (bounded) for the newest code mail to `email` that is not among `seen` ones, and returns its code.
 * Pass the number of code mails already read (`skip`) to wait for a fresh one after a resend.
 * Security notices to the same address are not counted.
 */
export async function readCodeFromInbox (inboxApi: string, email: string, { skip = 0, timeoutMs = 20_000 } = {}): Promise<InboxCode> {
  const newest = await eventually(async () => {
    const mails = (await inboxFor(inboxApi, email)).filter(isCodeMail)
    return mails.length > skip && mails.at(-1)
  }, { timeoutMs, intervalMs: 250, what: `a new code mail to ${email} (more than ${skip}); is the mailer running?` })
  const code = codeOf(newest)
  if (code === undefined) throw new Error(`The mail "${newest.subject}" to ${email} has no code in its subject`)
  return { code, receivedAt: newest.receivedAt }
}

/** Waits (bounded) for a mail to `email` whose subject matches, such as a security notice; its subject. */
export async function readMailWithSubject (inboxApi: string, email: string, subject: RegExp, timeoutMs = 20_000): Promise<string> {
  return await eventually(async () => (await inboxFor(inboxApi, email)).map((mail) => mail.subject).find((candidate) => subject.test(candidate)),
    { timeoutMs, intervalMs: 250, what: `a mail to ${email} with a subject like ${String(subject)}` })
}
