import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { promisify } from 'node:util'
import argon2 from 'argon2'
import t from 'tap'
import { argon2Build, argon2PackageDir, chooseArgon2Build, cpuFeatures, portableDir } from '../src/credentials/argon2-build.js'
import { requiredEnv, uniqueName } from './helper.js'

const run = promisify(execFile)
const packageDir = argon2PackageDir()
const loadedFile = (env: NodeJS.ProcessEnv): string => {
  const gypBuild = createRequire(join(packageDir, 'package.json'))('node-gyp-build') as { path (dir: string): string }
  const saved = process.env.ARGON2_PREBUILD
  try {
    if (env.ARGON2_PREBUILD) process.env.ARGON2_PREBUILD = env.ARGON2_PREBUILD
    else delete process.env.ARGON2_PREBUILD
    return gypBuild.path(packageDir)
  } finally {
    if (saved === undefined) delete process.env.ARGON2_PREBUILD
    else process.env.ARGON2_PREBUILD = saved
  }
}

// RFC 9106, 5.3: argon2id, version 0x13, 32 KiB, 3 passes, 4 lanes, with a secret and associated data.
const RFC_9106_ARGON2ID = {
  password: Buffer.alloc(32, 0x01),
  options: {
    raw: true,
    type: argon2.argon2id,
    version: 0x13,
    memoryCost: 32,
    timeCost: 3,
    parallelism: 4,
    hashLength: 32,
    salt: Buffer.alloc(16, 0x02),
    secret: Buffer.alloc(8, 0x03),
    associatedData: Buffer.alloc(12, 0x04)
  },
  tag: '0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659'
} as const
// The API's parameters (passwords.ts).
const OWASP = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const
const PASSWORD = 'correct horse battery staple'

/**
 * Runs the package's prebuilt binary (the copy in build/portable/) in a child process: the RFC
 * vector's tag, whether it accepts `nativeHash`, and a hash of its own.
 */
async function withPrebuilt (nativeHash: string): Promise<{ loaded: string, tag: string, acceptsNative: boolean, rejectsWrong: boolean, hash: string }> {
  const script = `
    const argon2 = require(${JSON.stringify(packageDir)})
    const loaded = require(require.resolve('node-gyp-build', { paths: [${JSON.stringify(packageDir)}] })).path(${JSON.stringify(packageDir)})
    const [vector, nativeHash, password, owasp] = JSON.parse(process.argv[1])
    const buffers = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v && v.type === 'Buffer' ? Buffer.from(v.data) : v]))
    ;(async () => {
      const tag = (await argon2.hash(Buffer.from(vector.password.data), buffers(vector.options))).toString('hex')
      const acceptsNative = await argon2.verify(nativeHash, password)
      const rejectsWrong = !(await argon2.verify(nativeHash, password + '!'))
      const hash = await argon2.hash(password, owasp)
      console.log(JSON.stringify({ loaded, tag, acceptsNative, rejectsWrong, hash }))
    })()`
  const { stdout } = await run(process.execPath, ['-e', script, JSON.stringify([RFC_9106_ARGON2ID, nativeHash, PASSWORD, OWASP])], {
    env: { ...process.env, ARGON2_PREBUILD: portableDir(packageDir) }
  })
  return JSON.parse(stdout)
}

t.test('this process runs the build made for this CPU, which gives RFC 9106\'s argon2id tag', async (t) => {
  t.equal(argon2Build.build, 'native', 'scripts/install.sh built argon2 from source for this CPU')
  t.match(argon2Build.target, /^(x86-64(-v[34])?|portable)$/)
  t.equal(loadedFile(process.env), join(packageDir, 'build', 'Release', 'argon2.node'))
  const tag = await argon2.hash(RFC_9106_ARGON2ID.password, RFC_9106_ARGON2ID.options)
  t.equal(tag.toString('hex'), RFC_9106_ARGON2ID.tag)
})

t.test('hashes cross-verify with the package\'s prebuilt binary', async (t) => {
  const nativeHash = await argon2.hash(PASSWORD, OWASP)
  const prebuilt = await withPrebuilt(nativeHash)
  t.equal(prebuilt.loaded, loadedFile({ ARGON2_PREBUILD: portableDir(packageDir) }))
  t.match(prebuilt.loaded, /build\/portable\/prebuilds\//, 'the child ran the prebuilt binary')
  t.not(readFileSync(prebuilt.loaded).equals(readFileSync(loadedFile(process.env))), true, 'a binary other than the native one')
  t.equal(prebuilt.tag, RFC_9106_ARGON2ID.tag, 'the prebuilt binary gives the same tag')
  t.equal(prebuilt.acceptsNative, true, 'the prebuilt binary verifies a hash of the native build')
  t.equal(prebuilt.rejectsWrong, true, 'and refuses another password against it')
  t.match(prebuilt.hash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/)
  t.equal(await argon2.verify(prebuilt.hash, PASSWORD), true, 'the native build verifies a hash of the prebuilt binary')
  t.equal(await argon2.verify(prebuilt.hash, `${PASSWORD}!`), false)
})

t.test('a CPU without the features of the native build gets the prebuilt one, or a refusal', async (t) => {
  const dir = t.testdir({ build: { Release: { 'argon2.node': '' } } })
  const record = { target: 'x86-64-v4', cflags: '-O3 -march=x86-64-v4', requires: ['sse2', 'avx2', 'avx512f'] }
  writeFileSync(join(dir, 'build', 'Release', 'argon2-build.json'), JSON.stringify(record))
  const features = cpuFeatures('processor\t: 0\nflags\t\t: fpu sse sse2 avx avx2\n')
  t.same([...features], ['fpu', 'sse', 'sse2', 'avx', 'avx2'])

  t.throws(() => chooseArgon2Build(dir, features, {}), /built for x86-64-v4 .*lacks: avx512f; it would die of an illegal instruction/,
    'without a prebuilt binary to fall back on, it refuses')

  mkdirSync(join(dir, 'build', 'portable', 'prebuilds'), { recursive: true })
  const env: NodeJS.ProcessEnv = {}
  t.same(chooseArgon2Build(dir, features, env), { build: 'prebuilt', target: 'prebuilt (SSE2)', from: portableDir(dir), missingFeatures: ['avx512f'] })
  t.equal(env.ARGON2_PREBUILD, portableDir(dir), 'node-gyp-build is told to load the prebuilt one')

  const everything = new Set([...features, 'avx512f'])
  t.same(chooseArgon2Build(dir, everything, {}), { build: 'native', target: 'x86-64-v4', cflags: record.cflags, from: join(dir, 'build', 'Release') })
  t.same(chooseArgon2Build(dir, everything, { ARGON2_PREBUILD: '/elsewhere' }).build, 'prebuilt', 'an operator\'s ARGON2_PREBUILD wins')
  t.same(chooseArgon2Build(t.testdir({}), everything, {}).build, 'prebuilt', 'no native build: the prebuilt one')
})

t.test('the server logs once, at start, which build it runs', async (t) => {
  const url = new URL(requiredEnv('MONGO_URL'))
  url.pathname = `/${uniqueName('authapi_argon2')}`
  const server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, MONGO_URL: url.toString(), PORT: '0', METRICS_PORT: '0', REPLICA_ID: 'argon2-log', JWT_KEYS_DIR: t.testdir({}), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  t.teardown(async () => {
    if (server.exitCode === null) {
      server.kill('SIGTERM')
      await once(server, 'exit')
    }
  })
  const lines: Array<{ msg?: string, argon2?: unknown }> = []
  let text = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${text}`)), 60_000)
    server.stdout.setEncoding('utf8')
    server.stdout.on('data', (chunk: string) => {
      text += chunk
      const complete = text.split('\n')
      text = complete.pop() ?? ''
      for (const line of complete) lines.push(JSON.parse(line) as { msg?: string })
      if (lines.some((line) => line.msg?.startsWith('Server listening'))) {
        clearTimeout(timer)
        resolve()
      }
    })
    server.on('exit', (code) => reject(new Error(`the server exited with ${code}: ${text}`)))
  })
  const logged = lines.filter((line) => line.argon2 !== undefined)
  t.equal(logged.length, 1, 'one line')
  t.same(logged[0]?.argon2, argon2Build, 'naming the build this process chose too')
  t.equal(logged[0]?.msg, `argon2: the native build (${argon2Build.target})`)
})
