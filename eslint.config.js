// Lint config: typescript-eslint's recommended rules over the sources, tests, examples and benchmarks.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // src/kernels/wasm/ is AssemblyScript (v128, load<f32>, @inline): compiled by asc, not by tsc.
  { ignores: ['dist/', 'node_modules/', 'build/', 'runs/', 'src/kernels/wasm/', 'scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Build scripts are plain Node ESM.
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
