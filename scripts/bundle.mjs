// Bundles each command into one self-contained module after tsc has built dist/.
//
// A command started fresh pays for every module it loads: resolving, reading and compiling some
// forty files, commander among them, costs about 20 ms before the first connection on Node 20.
// One file per command removes most of that. Even code a command loads only sometimes (the
// timeline, the progress display) goes in the same file: compiling it lazily costs less than
// finding and reading one more module (measured: a fetch starts about 5 ms sooner than with
// shared chunks). The library (dist/index.js) stays as tsc wrote it, one module per source file.
import { readdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunks from an earlier build (when commands shared them) would only confuse: clear them.
for (const name of readdirSync('dist/cli')) {
  if (/-[A-Z0-9]{8}\.js$/.test(name)) rmSync(`dist/cli/${name}`);
}

for (const command of ['get-poetry', 'poetry-server', 'demo']) {
  await build({
    entryPoints: [`src/cli/${command}.ts`],
    // Beside tsc's own output: code that finds files relative to its own module (package.json,
    // poems/) must sit at the same depth wherever it runs from.
    outfile: `dist/cli/${command}.js`,
    allowOverwrite: true,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    // commander is CommonJS: its require() calls need a require in the bundle's module scope.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
}
