// Lint: typescript-eslint's type-checked rules for lib/ and test/, eslint's
// recommended rules for the plain scripts; formatting is prettier's alone.
// For lib/: no function over 60 lines, and the plan ring's files never import
// the effect ring (see "Rings and layers" in the design notes).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The plan ring: pure files that validate, compute and describe. They run
 * where the addon cannot load (a docs build, a bundler, another OS), so they
 * import neither the loader nor a file of the effect ring, not even for a type.
 */
export const PLAN_RING = [
  'addon-types',
  'cgroup-options',
  'child-brand',
  'clone-error',
  'container-plan',
  'environment',
  'errors',
  'explain',
  'flags',
  'namespaces',
  'policy',
  'signals',
  'spawn-flags',
  'spawn-plan',
  'syscall-aliases',
  'syscall-table',
  'tasks',
  'validate',
];
/** The effect ring: the addon's loader and what acts through it or holds what it made. The front ends (index, cli and its cli-* commands) are neither. */
export const EFFECT_RING = [
  'binding',
  'cgroup',
  'child',
  'clone',
  'container',
  'exit-fields',
  'exit-signal',
  'run',
  'sharing-probe',
  'spawn',
  'spawn-sync',
];

export default tseslint.config(
  {
    ignores: [
      'build/',
      'build-cmake/',
      'dist/',
      'prebuilds/',
      'docs/api/',
      'coverage/',
      'node_modules/',
    ],
  },
  js.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: globals.node },
  },
  {
    files: ['**/*.ts', '**/*.mts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    // Every line counts, comments and blank ones too: a function is read whole.
    files: ['lib/**/*.ts', 'lib/**/*.mts'],
    rules: {
      'max-lines-per-function': [
        'error',
        { max: 60, skipBlankLines: false, skipComments: false, IIFEs: true },
      ],
    },
  },
  {
    files: PLAN_RING.map((name) => `lib/${name}.ts`),
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...EFFECT_RING.map((name) => ({
              name: `./${name}`,
              message:
                'the plan ring never imports the effect ring: it must load without the addon',
            })),
            { name: 'node-gyp-build', message: 'only binding.ts loads the addon, lazily' },
          ],
        },
      ],
    },
  },
  {
    // jest's asymmetric matchers (expect.objectContaining, expect.any) are typed `any`.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  prettier,
);
