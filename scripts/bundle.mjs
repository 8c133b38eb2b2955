// Builds the commands into dist/cli after tsc has built the library into dist/.
//
// A command started fresh pays for every module it loads and every function it compiles:
// resolving, reading and compiling some forty files, commander among them, cost about 20 ms
// before the first connection on Node 20. So each command is one CommonJS bundle
// (COMMAND.bundle.js: CommonJS loads faster than ES modules), started by a small launcher
// (COMMAND.js, from src/cli/launch.cts) that hands V8 the code cache the build makes here by
// running the command once for real (COMMAND.bundle.js.BUILD.V8.cache; see launch.cts). The
// library (dist/index.js) stays as tsc wrote it, one ES module per source file.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';

const COMMANDS = ['get-poetry', 'poetry-server', 'demo'];
const OUT = 'dist/cli';
/** How long making the code caches may take before the build gives up on them. */
const CACHE_RUN_LIMIT_MS = 20_000;

// What an earlier build left (chunks, caches made for other bundles) would only confuse.
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
// The package is ESM; these files are CommonJS.
writeFileSync(`${OUT}/package.json`, `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);

const common = { bundle: true, format: 'cjs', platform: 'node', target: 'node20.19' };
for (const command of COMMANDS) {
  const bundle = `${OUT}/${command}.bundle.js`;
  await build({
    ...common,
    entryPoints: [`src/cli/${command}.ts`],
    // Beside each other, two folders down: code that finds files relative to its own module
    // (package.json, poems/) finds them from here.
    outfile: bundle,
    // The sources are ES modules; in a CommonJS bundle import.meta.url is the bundle's own URL.
    define: { 'import.meta.url': '__bundleUrl' },
    banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
  });
  const code = readFileSync(bundle, 'utf8');
  // The launcher compiles a bundle as a script, which has no way to load an ES module.
  if (/\bimport\(/.test(code)) {
    throw new Error(`${bundle} has a dynamic import(); bundle what it loads instead`);
  }
  // The build's mark, which names the code cache made for exactly this code (see launch.cts).
  const id = createHash('sha256').update(code).digest('hex').slice(0, 16);
  appendFileSync(bundle, `// build ${id}\n`);
  await build({
    ...common,
    entryPoints: ['src/cli/launch.cts'],
    outfile: `${OUT}/${command}.js`,
    define: { COMMAND: JSON.stringify(command) },
    logLevel: 'warning',
  });
}

await makeCodeCaches();

/**
 * Runs the server and the client once, for real, on loopback, each writing its code cache as it
 * exits. The demo runs for seconds, so it goes without. Nothing here can fail the build: without
 * a cache the commands start a little slower, nothing more.
 */
async function makeCodeCaches() {
  const env = { ...process.env, POETRY_NOW_WRITE_CODE_CACHE: '1' };
  const poem = `poems/${readdirSync('poems').sort()[0]}`;
  const children = new Set();
  const start = (args, stdio) => {
    const child = spawn(process.execPath, args, { env, stdio });
    children.add(child);
    child.exited = new Promise((resolve) => {
      child.once('error', () => resolve(null));
      child.once('exit', (status) => resolve(status));
    });
    child.exited.then(() => children.delete(child));
    return child;
  };
  const killAll = () => {
    for (const child of children) child.kill('SIGKILL');
  };
  // However the build ends, it leaves no server behind.
  process.once('exit', killAll);
  const timer = setTimeout(killAll, CACHE_RUN_LIMIT_MS);
  try {
    const server = start(
      [`${OUT}/poetry-server.js`, '--iface', '127.0.0.1', '--delay', '0', poem],
      ['ignore', 'pipe', 'inherit'],
    );
    const lines = createInterface({ input: server.stdout });
    const first = await Promise.race([
      new Promise((resolve) => lines.once('line', resolve)),
      server.exited.then(() => ''),
    ]);
    const port = /:(\d+)$/.exec(String(first))?.[1];
    if (port === undefined) throw new Error(`poetry-server said ${JSON.stringify(first)}`);
    lines.on('line', () => {}); // its log, one line per reader: read, not kept
    const client = start([`${OUT}/get-poetry.js`, `127.0.0.1:${port}`], 'ignore');
    const status = await client.exited;
    if (status !== 0) throw new Error(`get-poetry ended with ${status}`);
    server.kill('SIGTERM');
    if ((await server.exited) !== 0) throw new Error('poetry-server did not stop cleanly');
  } catch (error) {
    killAll();
    process.stderr.write(`bundle: no code cache made (${error.message}); commands start slower\n`);
  } finally {
    clearTimeout(timer);
  }
}
