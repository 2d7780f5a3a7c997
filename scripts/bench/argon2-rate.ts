// The bare argon2 rate, the yardstick of registration and sign-in: run by scripts/bench.ts in a
// process of its own, so that UV_THREADPOOL_SIZE (read once, when libuv starts its pool) can be
// set to the concurrency asked for. Prints one JSON line: { perSecond, cpuMsPerOp, build }, the
// build being the API's (`native`, compiled for this CPU) or, with ARGON2_PREBUILD set to the
// package's build/portable/, the package's `prebuilt` binary.
//
//   UV_THREADPOOL_SIZE=2 tsx scripts/bench/argon2-rate.ts hash|verify <concurrency> <seconds>
import { argon2Build } from '../../services/auth-api/src/credentials/argon2-build.ts'
import argon2 from 'argon2'
import { BENCH_PASSWORD, OWASP } from './passwords.ts'

async function main ([operation, concurrencyArg, secondsArg]: string[]): Promise<void> {
  const concurrency = Number(concurrencyArg)
  const seconds = Number(secondsArg)
  if ((operation !== 'hash' && operation !== 'verify') || !(concurrency > 0) || !(seconds > 0)) {
    throw new Error('usage: argon2-rate.ts hash|verify <concurrency> <seconds>')
  }
  const stored = await argon2.hash(BENCH_PASSWORD, OWASP)
  const once = operation === 'hash'
    ? async () => { await argon2.hash(BENCH_PASSWORD, OWASP) }
    : async () => { await argon2.verify(stored, BENCH_PASSWORD) }
  let done = 0
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  const deadline = started + seconds * 1000
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) {
      await once()
      done++
    }
  }))
  const elapsed = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  console.log(JSON.stringify({ perSecond: done / elapsed, cpuMsPerOp: (cpu.user + cpu.system) / 1000 / done, build: argon2Build.build }))
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error((err as Error).message)
  process.exitCode = 1
})
