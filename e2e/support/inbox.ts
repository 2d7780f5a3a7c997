// Reads emailed codes through MailHog's API v2 (INBOX_API is its root without the version,
// e.g. http://127.0.0.1:8125/api). Only mail to the given address counts, and nothing is
// deleted: other tests share the inbox.

/** The part of a MailHog v2 message that is read here. */
interface Mail {
  Created: string
  To: Array<{ Mailbox: string, Domain: string }>
  Content: { Headers: Record<string, string[] | undefined> }
}

interface SearchResult {
  total: number
  items: Mail[]
}

export interface InboxCode {
  code: string
  receivedAt: Date
}

// More than any test sends to one address; MailHog answers at most this many per page.
const SEARCH_LIMIT = 250

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** Mails to exactly `email`, oldest first (MailHog's search matches any address containing the query). */
async function mailTo (inboxApi: string, email: string): Promise<Mail[]> {
  const url = `${inboxApi}/v2/search?kind=to&query=${encodeURIComponent(email)}&limit=${SEARCH_LIMIT}`
  const response = await fetch(url)
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`)
  const { items } = await response.json() as SearchResult
  const wanted = email.toLowerCase()
  return items
    .filter((mail) => mail.To.some((to) => `${to.Mailbox}@${to.Domain}`.toLowerCase() === wanted))
    .sort((a, b) => Date.parse(a.Created) - Date.parse(b.Created))
}

function subjectOf (mail: Mail): string {
  return mail.Content.Headers.Subject?.[0] ?? ''
}

/** The code in a Latchkey mail: the subject ends with it ("Your Latchkey activation code: 0427"). */
function codeOf (mail: Mail): string | undefined {
  return /(\d{4,10})\s*$/.exec(subjectOf(mail))?.[1]
}

/** A code mail's subject names its code; a security notice's names none ("Your Latchkey password was changed"). */
const isCodeMail = (mail: Mail): boolean => /code: \d+$/.test(subjectOf(mail))

/**
 * Waits (bounded) for the newest code mail to `email` that is not among `seen` ones, and returns its code.
 * Pass the number of code mails already read (`skip`) to wait for a fresh one after a resend.
 * Security notices to the same address are not counted.
 */
export async function readCodeFromInbox (inboxApi: string, email: string, { skip = 0, timeoutMs = 20_000 } = {}): Promise<InboxCode> {
  const deadline = Date.now() + timeoutMs
  let count = 0
  while (Date.now() < deadline) {
    const mails = (await mailTo(inboxApi, email)).filter(isCodeMail)
    count = mails.length
    const newest = mails.at(-1)
    if (mails.length > skip && newest !== undefined) {
      const code = codeOf(newest)
      if (code === undefined) throw new Error(`The mail "${subjectOf(newest)}" to ${email} has no code in its subject`)
      return { code, receivedAt: new Date(newest.Created) }
    }
    await sleep(250)
  }
  throw new Error(`No new code mail to ${email} in ${timeoutMs / 1000} s (saw ${count}, expected more than ${skip}); is the mailer running?`)
}

/** Waits (bounded) for a mail to `email` whose subject matches, such as a security notice; its subject. */
export async function readMailWithSubject (inboxApi: string, email: string, subject: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const found = (await mailTo(inboxApi, email)).map(subjectOf).find((candidate) => subject.test(candidate))
    if (found !== undefined) return found
    await sleep(250)
  }
  throw new Error(`No mail to ${email} with a subject like ${String(subject)} in ${timeoutMs / 1000} s`)
}
