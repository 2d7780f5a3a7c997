// Builds the page into dist/: index.html at the root, main.js and styles.css under dist/app/.
// Settings come from the environment at build time (the page makes no request to learn them):
//   INBOX_URL    the development mail inbox linked from the page; empty leaves the link out
//                (default http://127.0.0.1:8025/, the dev stack's MailHog)
//   CODE_LENGTH  digits in an emailed activation code, as the API's AUTH_CODE_LENGTH / CODE_LENGTH (default 4)
//   RESET_CODE_LENGTH  digits in a password-reset code, as the API's AUTH_RESET_CODE_LENGTH /
//                RESET_CODE_LENGTH (default 8)
import { build } from 'esbuild'
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

const here = (path) => fileURLToPath(new URL(path, import.meta.url))
const inboxUrl = process.env.INBOX_URL ?? 'http://127.0.0.1:8025/'
const codeLength = process.env.CODE_LENGTH ?? process.env.AUTH_CODE_LENGTH ?? '4'
const resetCodeLength = process.env.RESET_CODE_LENGTH ?? process.env.AUTH_RESET_CODE_LENGTH ?? '8'

for (const [name, value] of Object.entries({ CODE_LENGTH: codeLength, RESET_CODE_LENGTH: resetCodeLength })) {
  if (!/^\d+$/.test(value)) throw new Error(`${name} must be a number, not ${JSON.stringify(value)}`)
}
if (inboxUrl !== '' && !/^https?:\/\//.test(inboxUrl)) throw new Error(`INBOX_URL must be an http(s) URL, not ${JSON.stringify(inboxUrl)}`)

const escapeAttribute = (value) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')

await rm(here('dist'), { recursive: true, force: true })
await mkdir(here('dist/app'), { recursive: true })

await build({
  entryPoints: [here('src/main.ts')],
  outfile: here('dist/app/main.js'),
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning'
})
await copyFile(here('src/styles.css'), here('dist/app/styles.css'))

const html = (await readFile(here('index.html'), 'utf8'))
  .replaceAll('%INBOX_URL%', escapeAttribute(inboxUrl))
  .replaceAll('%CODE_LENGTH%', codeLength)
  .replaceAll('%RESET_CODE_LENGTH%', resetCodeLength)
await writeFile(here('dist/index.html'), html)

console.log(`web: built dist/ (inbox link: ${inboxUrl === '' ? 'none' : inboxUrl}, code lengths: activation ${codeLength}, reset ${resetCodeLength})`)
