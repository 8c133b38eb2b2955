// Bundles each command into one module (plus shared chunks) after tsc has built dist/.
//
// A command started fresh pays for every module it loads: resolving, reading and compiling some
// forty files, commander among them, costs about 20 ms before the first connection on Node 20.
// One bundle per command (what it loads lazily split into chunks) removes most of that.
// The library (dist/index.js) stays as tsc wrote it, one module per source file.
import { readdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunks from an earlier build have other hashes: clear them so dist/ holds only this one's.
for (const name of readdirSync('dist/cli')) {
  if (/-[A-Z0-9]{8}\.js$/.test(name)) rmSync(`dist/cli/${name}`);
}

await build({
  entryPoints: ['src/cli/get-poetry.ts', 'src/cli/poetry-server.ts', 'src/cli/demo.ts'],
  outdir: 'dist/cli',
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  // Beside the entry points: code that finds files relative to its own module (package.json,
  // poems/) must sit at the same depth wherever the bundler puts it.
  chunkNames: '[name]-[hash]',
  // commander is CommonJS: its require() calls need a require in the bundle's module scope.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
