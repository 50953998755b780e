// Lint rules: typescript-eslint's type-aware recommended set on the relay's
// source, where a floating promise or an unsafe `any` is a real bug; a lighter
// set on tests and the bench, which poke at JSON bodies typed `any` on purpose.
// Formatting is Prettier's job (eslint-config-prettier turns off the rules that
// would fight it).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/', 'src/console/vendor/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Validators refuse control characters on purpose, so their regexes name them.
      'no-control-regex': 'off',
      // Fastify hooks and route handlers are async by contract even when they do not await.
      '@typescript-eslint/require-await': 'off',
      // node: built-ins by their node: name (STYLE.md, habits).
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(fs|path|http|https|net|dns|crypto|os|url|stream|events|util|zlib|child_process|timers)(/.*)?$',
              message: 'import Node built-ins as node:…',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'tools/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs', 'vitest.config.ts'], ...tseslint.configs.disableTypeChecked },
  {
    // Plain Node scripts (tools/*.mjs): Node's globals, named here rather than through another package.
    files: ['**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        module: 'readonly',
        require: 'readonly',
      },
    },
  },
  {
    // The console's ES modules run in the browser: its globals, named here rather than through another package.
    files: ['src/console/public/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'navigator',
          'fetch',
          'URLSearchParams',
          'FormData',
          'CSS',
          'Event',
          'Node',
          'structuredClone',
          'setTimeout',
          'clearTimeout',
          'console',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  prettier,
);
