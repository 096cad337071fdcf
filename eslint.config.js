// Lint rules, including the architecture's import arrows (see ../shared/STYLE.md):
// each src/ folder may only import what the layering table allows.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Folders under src/ that may import nothing but src/core. */
const coreOnly = [
  'config',
  'frontier',
  'fetch',
  'parse',
  'extract',
  'pipeline',
  'storage',
  'queue',
  'metrics',
  'log',
  'jobs',
  'auth',
  'webhooks',
];

/**
 * Sibling folders a folder may also import. Adapter folders implement ports of other
 * folders (SQLite/Redis frontiers live beside their stores); the parser runs the job's
 * extraction in its threads; the pipeline's export handler writes through the exporters;
 * the job service port speaks of specs and page queries.
 */
const adapterPorts = {
  storage: ['frontier'],
  queue: ['frontier', 'storage'],
  parse: ['extract'],
  pipeline: ['storage'],
  jobs: ['config', 'storage'],
};

const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
});

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/peers/node_modules/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: restrict(
      [
        ...coreOnly.map((d) => `**/${d}/*`),
        '**/crawler/*',
        '**/cli/*',
        '**/main/*',
        '**/api/*',
        '**/backends/**',
      ],
      'src/core imports nothing else in src',
    ),
  },
  ...coreOnly.map((dir) => ({
    files: [`src/${dir}/**/*.ts`],
    rules: restrict(
      [
        '**/crawler/*',
        '**/cli/*',
        '**/main/*',
        '**/api/*',
        ...coreOnly
          .filter((d) => d !== dir && !(adapterPorts[dir] ?? []).includes(d))
          .map((d) => `**/${d}/*`),
      ],
      `src/${dir} may import only src/core (ports and adapters are wired in src/main)`,
    ),
  })),
  {
    files: ['src/backends/**/*.ts'],
    rules: restrict(
      ['**/crawler/*', '**/cli/*', '**/main/*', '**/api/*'],
      'src/backends implement ports; they are chosen and wired in src/main',
    ),
  },
  {
    files: ['src/api/**/*.ts'],
    rules: restrict(
      [
        '**/backends/*',
        '**/backends/**',
        '**/crawler/*',
        '**/cli/*',
        '**/main/*',
        '**/fetch/http/*',
      ],
      'src/api uses services through ports (src/jobs); adapters are chosen in src/main',
    ),
  },
  {
    files: ['src/crawler/**/*.ts'],
    rules: restrict(
      [
        '**/backends/*',
        '**/backends/**',
        '**/queue/*',
        '**/fetch/http/*',
        '**/fetch/browser/*',
        '**/cli/*',
        '**/main/*',
      ],
      'src/crawler talks to ports only; adapters are chosen in src/main',
    ),
  },
);
