// `npm start` follows the stack's logs until Ctrl-C; stopped from another terminal (`npm run
// stack:down`), the stack takes the follower with it. What tells the follower: no recorded
// process of its stack is alive any more. Here a profile of its own (a temporary pid directory,
// nothing of the running stack) records two real processes, which the test then kills.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadProfile } from '../scripts/stack/profile.ts'
import { recordProcess } from '../scripts/stack/processes.ts'
import { aliveComponents, watchUntilStopped } from '../scripts/stack/runner.ts'

t.test('the follower\'s watch ends once the last process of its stack is gone', async (t) => {
  const pids = mkdtempSync(join(tmpdir(), 'latchkey-pids-'))
  t.teardown(() => { rmSync(pids, { recursive: true, force: true }) })
  const base = loadProfile({ STACK_PROFILE: 'dev' })
  const profile = { ...base, paths: { ...base.paths, pids } }
  const [mongo, mailhog] = ['mongo', 'mailhog'].map((name) => {
    const child = spawn('sleep', ['300'], { stdio: 'ignore' })
    recordProcess(pids, name, child.pid!, 'sleep 300', '/dev/null')
    return child
  }) as [ReturnType<typeof spawn>, ReturnType<typeof spawn>]
  t.teardown(() => { mongo.kill('SIGKILL'); mailhog.kill('SIGKILL') })
  const watch = watchUntilStopped(profile, 50)
  t.teardown(watch.stop)
  t.same(aliveComponents(profile).map((component) => component.name).sort(), ['mailhog', 'mongo'])

  mongo.kill('SIGKILL')
  await once(mongo, 'exit')
  t.same(aliveComponents(profile).map((component) => component.name), ['mailhog'], 'one component gone, as when a test restarts it: the stack is still there')

  mailhog.kill('SIGKILL')
  await once(mailhog, 'exit')
  await once(watch.signal, 'abort')
  t.match(String(watch.signal.reason), /the "dev" stack stopped/, 'the last one gone ends the watch')
})
