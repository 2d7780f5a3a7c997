// Reads emailed codes from maildev's REST API (INBOX_API, e.g. http://127.0.0.1:1180/api).
// Only mail to the given address counts, and nothing is deleted: other tests share the inbox.

interface Mail {
  id: string
  subject: string
  text?: string
  date: string
  to: Array<{ address: string }>
}

export interface InboxCode {
  code: string
  receivedAt: Date
}

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

async function mailTo (inboxApi: string, email: string): Promise<Mail[]> {
  const response = await fetch(`${inboxApi}/email`)
  if (!response.ok) throw new Error(`GET ${inboxApi}/email answered ${response.status}`)
  const mails = await response.json() as Mail[]
  return mails
    .filter((mail) => mail.to.some((to) => to.address.toLowerCase() === email.toLowerCase()))
    .sort((a, b) => Date.parse(a.date) - Date.parse(b.date))
}

/** The code in a Latchkey mail: the subject ends with it ("Your Latchkey activation code: 0427"). */
function codeOf (mail: Mail): string | undefined {
  return /(\d{4,10})\s*$/.exec(mail.subject)?.[1] ?? /\b(\d{4,10})\b/.exec(mail.text ?? '')?.[1]
}

/**
 * Waits (bounded) for the newest mail to `email` that is not among `seen` mails, and returns its code.
 * Pass the number of mails already read (`skip`) to wait for a fresh one after a resend.
 */
export async function readCodeFromInbox (inboxApi: string, email: string, { skip = 0, timeoutMs = 20_000 } = {}): Promise<InboxCode> {
  const deadline = Date.now() + timeoutMs
  let count = 0
  while (Date.now() < deadline) {
    const mails = await mailTo(inboxApi, email)
    count = mails.length
    const newest = mails.at(-1)
    if (mails.length > skip && newest !== undefined) {
      const code = codeOf(newest)
      if (code === undefined) throw new Error(`The mail "${newest.subject}" to ${email} has no code in it`)
      return { code, receivedAt: new Date(newest.date) }
    }
    await sleep(250)
  }
  throw new Error(`No new mail to ${email} in ${timeoutMs / 1000} s (saw ${count}, expected more than ${skip}); is the mailer running?`)
}
