/**
 * The web page (issue 7): `npm run web` serves it, `npm run build:web` writes static files to
 * build/web (gitignored). The page imports the library's own sources (src/index.ts), so it runs the same
 * code as Node; the built-in text is an excerpt of Moby-Dick read at build time from the npm package the
 * CLI uses (nothing is fetched when the page runs).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { mobyDickExcerpt } from './excerpt.js';

const EXCERPT_MODULE = 'virtual:moby-dick-excerpt';

function mobyDick(): Plugin {
  return {
    name: 'novolstm-moby-dick-excerpt',
    resolveId: (id) => (id === EXCERPT_MODULE ? `\0${EXCERPT_MODULE}` : null),
    load: (id) =>
      id === `\0${EXCERPT_MODULE}` ? `export default ${JSON.stringify(mobyDickExcerpt())};` : null,
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Relative asset paths: the built folder works from any URL prefix (a project page, a subdirectory).
  base: './',
  plugins: [mobyDick()],
  worker: { format: 'es' },
  build: {
    outDir: fileURLToPath(new URL('../build/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Two pages: the app, and the training-step benchmark that `npm run bench:web` opens.
    rolldownOptions: {
      input: {
        index: fileURLToPath(new URL('./index.html', import.meta.url)),
        bench: fileURLToPath(new URL('./bench.html', import.meta.url)),
      },
    },
  },
  server: { host: '127.0.0.1' },
});
