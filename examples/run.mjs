// `npm run example -- N`: builds the package if dist/ is missing or older than src/, then runs
// example N (1 to 6) as a program of its own. Without N, lists the examples.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..');
const examples = readdirSync(here)
  .filter((name) => /^\d+-.*\.mjs$/.test(name))
  .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));

/** The newest modification time under `folder`, in milliseconds. */
function newest(folder) {
  let latest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      latest = Math.max(latest, statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
    }
  }
  return latest;
}

const wanted = process.argv[2];
const file = examples.find((name) => Number.parseInt(name, 10) === Number(wanted));
if (file === undefined) {
  const stream = wanted === undefined ? process.stdout : process.stderr;
  if (wanted !== undefined) stream.write(`no example ${wanted}\n`);
  stream.write('usage: npm run example -- N, where N is one of:\n');
  for (const name of examples) stream.write(`  ${Number.parseInt(name, 10)}  examples/${name}\n`);
  process.exit(wanted === undefined ? 0 : 2);
}

// The examples import the package by its name, which resolves to the built dist/.
const built = join(root, 'dist', 'index.js');
if (!existsSync(built) || statSync(built).mtimeMs < newest(join(root, 'src'))) {
  process.stderr.write('building the package first (npm run build)...\n');
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const example = spawnSync(process.execPath, [join(here, file)], { cwd: root, stdio: 'inherit' });
process.exit(example.status ?? 1);
