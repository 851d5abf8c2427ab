// Lint rules that keep the layers honest (see docs/CONVENTIONS.md): only the Electron shell and the
// preload import `electron`; src/shared imports nothing from Node, the DOM or the engine; the renderer
// imports only src/shared; each folder of src/main imports only the folders below it, and the CLI only
// the service's entry. VS Code and Signal Desktop keep the same discipline with the same kind of rule.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

// Bare builtin names are matched exactly (as `paths`), so a sibling file such as ./events is not caught.
const NODE_PATHS = ['fs', 'fs/promises', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'http', 'net', 'url', 'stream', 'events', 'zlib'].map((name) => ({ name, message: 'No Node modules here.' }));
const NODE_PATTERN = { group: ['node:*'], message: 'No Node modules here.' };

const noElectron = { group: ['electron', 'electron/*'], message: 'Only src/main/shell and src/preload may import electron.' };

/**
 * The folders of src/main, bottom up (docs/CONVENTIONS.md). A folder imports only from the tiers below
 * its own: never a sibling in its tier, never anything above. `ml` shares a tier with `catalog`, so it
 * imports no catalog code (it is a library: tensors in, tensors, numbers and files out).
 */
const TIERS = [['files'], ['catalog', 'ml'], ['datasets', 'export'], ['engine'], ['jobs'], ['service'], ['web', 'cli', 'shell']];
const DOORS = TIERS[TIERS.length - 1];
/** Relative imports that reach a top-level folder of src/main (`../catalog/db`, `../../jobs/runner`). */
const reach = (folder) => `^(\\.\\./)+${folder}(/|$)`;
/** The folders `folder` may not import: the others of its tier and every tier above. */
const notBelow = (folder) =>
  TIERS.slice(TIERS.findIndex((t) => t.includes(folder)))
    .flat()
    .filter((f) => f !== folder);
const noUpward = (folder) =>
  notBelow(folder).map((f) => ({
    regex: reach(f),
    message: DOORS.includes(f)
      ? `src/main/${folder} must not import a door (${f}): doors sit on top and import the service.`
      : `src/main/${folder} must not import src/main/${f}: a folder imports only from folders below it (docs/CONVENTIONS.md).`,
  }));
const noDoors = { group: ['**/renderer/**', '**/preload/**'], message: 'src/main must not import the renderer or the preload.' };
const noMathRandom = { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'Use the seeded Rng (src/main/ml/rng.ts): results must be reproducible.' };
/** src/shared runs in every process: the renderer, the preload, the engine. It may use no host's globals. */
const HOST_GLOBALS = ['window', 'document', 'navigator', 'localStorage', 'sessionStorage', 'location', 'process', 'Buffer', 'require', '__dirname', '__filename', 'global'].map((name) => ({
  name,
  message: 'src/shared runs in the renderer and in Node: no DOM or Node globals here.',
}));

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'resources/**', 'coverage/**', 'tmp/**', '.scratch/**', 'bench-results/**', '.gpu/**', '.gl/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': ['error', { patterns: [noElectron] }],
      'no-restricted-syntax': ['error', noMathRandom],
    },
  },
  {
    files: ['src/preload/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  // The engine folders: plain Node, no electron, and only downward imports.
  ...TIERS.flat()
    .filter((folder) => !DOORS.includes(folder))
    .map((folder) => ({
      files: [`src/main/${folder}/**/*.ts`],
      rules: { 'no-restricted-imports': ['error', { patterns: [noElectron, noDoors, ...noUpward(folder)] }] },
    })),
  {
    // The doors sit on the service and never on each other. The one exception: `atelier serve` is how
    // the web door is started (it has no process of its own), so the CLI may start the web host.
    files: ['src/main/web/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noElectron, noDoors, ...noUpward('web')] }] },
  },
  {
    // The CLI is a door like the others: it calls the contract (the service), never the catalog, the
    // engine or a job directly.
    files: ['src/main/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noElectron,
            noDoors,
            ...noUpward('cli').filter((p) => p.regex !== reach('web')),
            ...['catalog', 'ml', 'datasets', 'export', 'engine', 'jobs'].map((f) => ({
              regex: reach(f),
              message: `The CLI is a door: it calls the contract through the service, never src/main/${f} directly.`,
            })),
            { regex: '^(\\.\\./)+service/', message: 'The CLI is a door: it uses the service through its entry (src/main/service/index.ts), not its handlers.' },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        noMathRandom,
        { selector: "MemberExpression[property.name='ctx']", message: "The CLI is a door: it calls the contract (service.call) and reads its events, never the engine's context." },
      ],
    },
  },
  {
    files: ['src/main/shell/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noDoors, ...noUpward('shell')] }] },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', ...HOST_GLOBALS],
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
