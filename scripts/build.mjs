// Builds the package into dist/ (or into a new folder named as the argument): the library with tsc,
// then the commands with esbuild. Two builds of the same sources give the same bytes.
//
// The library (dist/index.js, dist/testing/) stays as tsc writes it, one ES module per source
// file. Each command is one CommonJS bundle, cli/COMMAND.bundle.js, holding its own code and
// commander's and picocolors' (so the installed package needs no other package), started by
// cli/COMMAND.js (from src/cli/start.cts), which turns Node's compile cache on first. A command
// that runs for a tenth of a second pays for every module it loads: one CommonJS file is read and
// compiled sooner than some forty ES modules are resolved, read and linked. The demo is built the
// same way, for `npm start`, and left out of the package (package.json's `files`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const COMMANDS = ['get-poetry', 'poetry-server', 'demo'];
const root = fileURLToPath(new URL('..', import.meta.url));
const named = process.argv[2];
const out = named === undefined ? join(root, 'dist') : resolve(named);
const cli = join(out, 'cli');

// dist/ starts empty, so files of sources since removed are never packed; a folder named on the
// command line is never emptied, lest it hold anything else.
if (named === undefined) rmSync(out, { recursive: true, force: true });
else if (existsSync(out)) {
  process.stderr.write(`build: ${out} exists; name a new folder\n`);
  process.exit(2);
}
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(
  process.execPath,
  [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', out],
  { stdio: 'inherit' },
);
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

mkdirSync(cli, { recursive: true });
// The package is ESM; these files are CommonJS.
writeFileSync(join(cli, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);

const common = {
  // Source paths in the bundles' comments are relative to the root, wherever it is, and name
  // node_modules as found there, even where it is a link.
  absWorkingDir: root,
  preserveSymlinks: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20.19',
  logLevel: 'warning',
};
for (const command of COMMANDS) {
  await build({
    ...common,
    bundle: true,
    entryPoints: [`src/cli/${command}.ts`],
    // Two folders down: code that finds files relative to its own module (package.json, poems/)
    // finds them from here as from src/cli.
    outfile: join(cli, `${command}.bundle.js`),
    // The sources are ES modules; in a CommonJS bundle import.meta.url is the bundle's own URL.
    define: { 'import.meta.url': '__bundleUrl' },
    banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
  await build({
    ...common,
    entryPoints: ['src/cli/start.cts'],
    outfile: join(cli, `${command}.js`),
    define: { COMMAND: JSON.stringify(command) },
    // Folds the command's name into the path it requires.
    minifySyntax: true,
  });
}
