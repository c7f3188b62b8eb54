// Lint config: typescript-eslint's recommended rules over the sources, tests, examples and benchmarks.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // src/kernels/wasm/ is AssemblyScript (v128, load<f32>, @inline): compiled by asc, not by tsc.
  { ignores: ['dist/', 'node_modules/', 'build/', 'runs/', 'src/kernels/wasm/', 'scratch/', 'docs/api/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Build scripts and the memory benchmark's child (run without a TypeScript loader) are plain Node ESM.
    files: ['scripts/**/*.mjs', 'bench/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // model.fit / model.save exist once the package entry installs them (models/sequential.ts); the CLI and
    // the library's own modules run without it, so they call the free functions.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.type='MemberExpression'][callee.property.name=/^(fit|save)$/]",
          message:
            'Inside the package, call fit(model, …) (training/fit.ts) or saveModel(model, …) (io/index.ts): the model methods are installed by the package entry.',
        },
      ],
    },
  },
);
