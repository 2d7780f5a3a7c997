import neostandard from 'neostandard'

// One style everywhere: neostandard, as in fastify/demo and the fastify org's plugins.
export default [
  ...neostandard({
    ts: true,
    ignores: ['**/dist/**', '**/.tap/**', '.stack/**', 'e2e/artifacts/**']
  }),
  {
    rules: {
      // A TypeBox schema and its Static type share a name on purpose (`Credentials`, `Credentials`).
      '@typescript-eslint/no-redeclare': 'off',
      // `void promise` marks fire-and-forget work (e.g. publishing the outbox after answering).
      'no-void': ['error', { allowAsStatement: true }]
    }
  }
]
