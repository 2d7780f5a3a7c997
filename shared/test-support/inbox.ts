// Reads a MailHog inbox through its API v2 (`inboxApi` is its root without the version, e.g.
// http://127.0.0.1:8125/api). Only mail to the given address counts, and nothing is deleted:
// other tests share the inbox. Each message is parsed from its raw text, as a mail client would.
import { simpleParser } from 'mailparser'

export interface InboxMail {
  /** Envelope recipients, lower-cased. */
  to: string[]
  subject: string
  text: string
  html: string
  /** First value of each header, by lower-cased name. */
  headers: Record<string, string>
  /** When the catcher accepted it. */
  receivedAt: Date
}

/** The part of a MailHog v2 message that is read here: the envelope and the message as it came. */
interface MailHogMessage {
  Created: string
  To: Array<{ Mailbox: string, Domain: string }>
  Raw: { Data: string }
}

// More than any test sends to one address; MailHog answers at most this many per page.
const SEARCH_LIMIT = 250

/** Mails to exactly `address`, oldest first (MailHog's search matches any address containing the query). */
export async function inboxFor (inboxApi: string, address: string): Promise<InboxMail[]> {
  const url = `${inboxApi}/v2/search?kind=to&query=${encodeURIComponent(address)}&limit=${SEARCH_LIMIT}`
  const response = await fetch(url)
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`)
  const { items } = await response.json() as { items: MailHogMessage[] }
  const wanted = address.toLowerCase()
  const mails = await Promise.all(items
    .filter((message) => message.To.some(({ Mailbox, Domain }) => `${Mailbox}@${Domain}`.toLowerCase() === wanted))
    .map(readMail))
  return mails.sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime())
}

async function readMail (message: MailHogMessage): Promise<InboxMail> {
  const mail = await simpleParser(message.Raw.Data)
  const headers: Record<string, string> = {}
  for (const { key, line } of mail.headerLines) headers[key] ??= line.slice(line.indexOf(':') + 1).trim()
  return {
    to: message.To.map(({ Mailbox, Domain }) => `${Mailbox}@${Domain}`.toLowerCase()),
    subject: mail.subject ?? '',
    text: mail.text ?? '',
    html: typeof mail.html === 'string' ? mail.html : '',
    headers,
    receivedAt: new Date(message.Created)
  }
}
