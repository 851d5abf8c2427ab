// Lint rules that keep the layers honest (see docs/CONVENTIONS.md): only the Electron shell and the
// preload import `electron`; src/shared imports nothing from Node, the DOM or the engine; the renderer
// imports only src/shared; the engine never imports a door. VS Code and Signal Desktop keep the same
// discipline with the same kind of rule.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

// Bare builtin names are matched exactly (as `paths`), so a sibling file such as ./events is not caught.
const NODE_PATHS = ['fs', 'fs/promises', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'http', 'net', 'url', 'stream', 'events', 'zlib'].map((name) => ({ name, message: 'No Node modules here.' }));
const NODE_PATTERN = { group: ['node:*'], message: 'No Node modules here.' };

const noElectron = { group: ['electron', 'electron/*'], message: 'Only src/main/shell and src/preload may import electron.' };
const noDoors = { group: ['**/web/*', '**/cli/*', '**/shell/*', '**/renderer/**', '**/preload/**'], message: 'The engine must not import a door (web host, CLI, shell, renderer).' };

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'resources/**', 'coverage/**', 'tmp/**', '.scratch/**', 'bench-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': ['error', { patterns: [noElectron] }],
      'no-restricted-syntax': ['error', { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'Use the seeded Rng (src/main/ml/rng.ts): results must be reproducible.' }],
    },
  },
  {
    files: ['src/main/shell/**', 'src/preload/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // The engine: plain Node, no electron, no doors.
    files: ['src/main/{catalog,datasets,ml,jobs,export,files,service}/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noElectron, noDoors] }] },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: NODE_PATHS, patterns: [noElectron, NODE_PATTERN, { group: ['**/main/**', '**/renderer/**', '**/preload/**'], message: 'src/shared imports nothing above it.' }] },
      ],
    },
  },
  {
    files: ['src/renderer/**/*.{ts,svelte}'],
    languageOptions: { globals: { ...globals.browser }, parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: NODE_PATHS, patterns: [noElectron, NODE_PATTERN, { group: ['**/main/**', '**/preload/**'], message: 'The renderer knows only the contract in src/shared.' }] },
      ],
      'no-restricted-syntax': 'off',
    },
  },
  {
    files: ['tests/**', 'bench/**', 'scripts/**'],
    rules: { 'no-restricted-syntax': 'off', 'no-restricted-imports': 'off' },
  },
);
