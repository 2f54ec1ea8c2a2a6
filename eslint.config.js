// ESLint flat config. The one structural rule that matters most: the agent core (everything
// under src/main except the Electron shell) must never import `electron`, so it runs in the
// headless agent, the CLI and the tests exactly as in the desktop app.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const electronImportBan = {
  paths: [{ name: 'electron', message: 'The agent core must not import electron: put Electron code under src/main/electron/.' }],
  patterns: [{ group: ['electron/*', '@electron/*'], message: 'The agent core must not import Electron modules.' }],
};

export default tseslint.config(
  { ignores: ['build/**', 'dist/**', 'node_modules/**', 'src/renderer/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['src/main/**/*.ts'],
    ignores: ['src/main/electron/**'],
    rules: {
      'no-restricted-imports': ['error', electronImportBan],
      '@typescript-eslint/no-restricted-imports': 'off',
    },
  },
  {
    files: ['src/main/**/*.ts'],
    ignores: ['src/main/electron/**'],
    rules: { 'no-restricted-syntax': ['error', { selector: "CallExpression[callee.name='require'][arguments.0.value='electron']", message: 'The agent core must not require electron.' }] },
  },
);
