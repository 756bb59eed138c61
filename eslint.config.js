import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const shared = {
  '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
  '@typescript-eslint/consistent-type-imports': 'error',
  'no-constant-condition': ['error', { checkLoops: false }],
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } }, rules: shared },
  // The shipped code is linted with type information: a promise nobody awaits or a promise passed
  // where a callback's result is ignored is how a download loses an error. Tests, bench and
  // scripts keep the untyped rules, which are enough for them and half the lint time.
  {
    files: ['src/**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      ...shared,
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Route and step tables type every handler as async, also those that finish at once.
      '@typescript-eslint/require-await': 'off',
    },
  },
);
