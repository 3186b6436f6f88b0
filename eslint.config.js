// Lint: neostandard (standard style for TypeScript) on every source, test and
// benchmark file. `npm run check` runs it with zero warnings allowed.
import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'bench/.build/**', '**/.build/**', 'node_modules/**', '**/pb/*.ts', '.tap/**'] }),
  {
    rules: {
      // House style: short objects stay on one line even inside a multi-line literal.
      '@stylistic/object-property-newline': 'off',
      // `void promise` marks a deliberate fire-and-forget (its errors are handled inside).
      'no-void': ['error', { allowAsStatement: true }]
    }
  }
]
