// Writes every generated edge file; `--check` writes nothing and fails when one is not current.
//   npm run edge:generate
//   npm run edge:generate -- --check
import { readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { jsonErrorsConf } from './json-errors.ts'
import { dockerConf, helmWebConfig, nativeTemplate } from './nginx-configs.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** Each generated file, by its path in the repository, and what it must hold. */
export const generatedFiles: Record<string, () => string> = {
  'nginx/nginx.conf.template': nativeTemplate,
  'nginx/docker.conf': dockerConf,
  'nginx/json-errors.conf': jsonErrorsConf,
  'deploy/helm/latchkey/templates/web-config.yaml': helmWebConfig
}

/** The generated files whose text under `dir` (the repository) is not what the generator writes. */
export function staleFiles (dir = root): string[] {
  return Object.entries(generatedFiles)
    .filter(([path, generate]) => readFileSync(join(dir, path), 'utf8') !== generate())
    .map(([path]) => path)
}

if (process.argv[1] !== undefined && relative(process.argv[1], fileURLToPath(import.meta.url)) === '') {
  if (process.argv.includes('--check')) {
    const stale = staleFiles()
    for (const path of stale) console.error(`${path} is not what scripts/edge writes: run npm run edge:generate`)
    process.exit(stale.length === 0 ? 0 : 1)
  }
  for (const [path, generate] of Object.entries(generatedFiles)) writeFileSync(join(root, path), generate())
}
