import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/**
 * Which build of the `argon2` addon this process runs, chosen before the package loads it.
 *
 * scripts/argon2-native.sh (run by scripts/install.sh and the Dockerfile) compiles the package
 * from source for a CPU level (x86-64-v4: AVX-512, x86-64-v3: AVX2, x86-64: SSE2) into its
 * build/Release/, which the package loads before its prebuilt binary, and records the level and
 * the CPU features it needs in build/Release/argon2-build.json; it keeps the prebuilt binary
 * (SSE2, runs on any x86-64) in build/portable/. On a CPU that lacks a feature of the build
 * (an image built elsewhere, a VM moved to older hardware), the build would die of an illegal
 * instruction at the first hash: the prebuilt one is loaded instead (ARGON2_PREBUILD, which
 * node-gyp-build reads), or, without it, the service refuses to start and says why.
 */
export interface Argon2Build {
  /** `native`: compiled from source for `target`; `prebuilt`: the package's own binary. */
  build: 'native' | 'prebuilt'
  /** The CPU level compiled for (`x86-64-v4`, `x86-64-v3`, `x86-64`, `portable`), or `prebuilt (SSE2)`. */
  target: string
  cflags?: string
  /** The directory the package loads its addon from. */
  from: string
  /** The features the native build needs and this CPU lacks, when the prebuilt one runs because of them. */
  missingFeatures?: string[]
}

/** What scripts/argon2-native.sh writes beside the addon it built. */
interface BuildRecord { target: string, cflags: string, requires: string[] }

/** The CPU features /proc/cpuinfo lists (its first `flags` line), or none where there is no such file. */
export function cpuFeatures (cpuinfo = readCpuinfo()): Set<string> {
  const line = /^flags\s*:(.*)$/m.exec(cpuinfo)?.[1] ?? ''
  return new Set(line.split(/\s+/).filter(Boolean))
}

function readCpuinfo (): string {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8')
  } catch {
    return ''
  }
}

export const argon2PackageDir = (): string => dirname(createRequire(import.meta.url).resolve('argon2/package.json'))

/** Where the prebuilt binary is kept when a native build has taken its place. */
export const portableDir = (packageDir: string): string => join(packageDir, 'build', 'portable')

/**
 * Chooses the build before `argon2` is loaded: sets `env.ARGON2_PREBUILD` to the prebuilt one
 * when the native build needs features `features` lacks; throws when there is no prebuilt one
 * to fall back on.
 */
export function chooseArgon2Build (packageDir: string, features: Set<string>, env: NodeJS.ProcessEnv): Argon2Build {
  const prebuilt = (from: string, missingFeatures?: string[]): Argon2Build =>
    ({ build: 'prebuilt', target: 'prebuilt (SSE2)', from, ...(missingFeatures ? { missingFeatures } : {}) })
  if (env.ARGON2_PREBUILD) return prebuilt(env.ARGON2_PREBUILD)
  const release = join(packageDir, 'build', 'Release')
  if (!existsSync(join(release, 'argon2.node'))) return prebuilt(packageDir)
  const recordFile = join(release, 'argon2-build.json')
  const record: BuildRecord = existsSync(recordFile)
    ? JSON.parse(readFileSync(recordFile, 'utf8')) as BuildRecord
    : { target: 'unknown (built without scripts/argon2-native.sh)', cflags: 'unknown', requires: [] }
  const missing = record.requires.filter((feature) => !features.has(feature))
  if (missing.length === 0) return { build: 'native', target: record.target, cflags: record.cflags, from: release }
  if (existsSync(join(portableDir(packageDir), 'prebuilds'))) {
    env.ARGON2_PREBUILD = portableDir(packageDir)
    return prebuilt(env.ARGON2_PREBUILD, missing)
  }
  throw new Error(`argon2 was built for ${record.target} (${record.cflags}), which needs CPU features this machine lacks: ` +
    `${missing.join(' ')}; it would die of an illegal instruction. Rebuild it here (bash scripts/install.sh, ` +
    'or docker build --build-arg ARGON2_CPU=x86-64 for a portable image)')
}

/** This process's build. Imported before `argon2` (passwords.ts imports it first), so that the choice is made in time. */
export const argon2Build = chooseArgon2Build(argon2PackageDir(), cpuFeatures(), process.env)
