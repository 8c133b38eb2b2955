// Builds the commands into dist/cli after tsc has built the library into dist/.
//
// A command started fresh pays for every module it loads and every function it compiles:
// resolving, reading and compiling some forty files, commander among them, cost about 20 ms
// before the first connection on Node 20. So each command is one CommonJS bundle
// (COMMAND.bundle.js: CommonJS loads faster than ES modules), started by a small launcher
// (COMMAND.js, from src/cli/launch.cts) that hands V8 the code cache the build makes here by
// running the command once for real (COMMAND.bundle.js.V8VERSION.cache; see launch.cts). The library
// (dist/index.js) stays as tsc wrote it, one ES module per source file.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';

const COMMANDS = ['get-poetry', 'poetry-server', 'demo'];
const OUT = 'dist/cli';

// What an earlier build left (chunks, caches made for other bundles) would only confuse.
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
// The package is ESM; these files are CommonJS.
writeFileSync(`${OUT}/package.json`, `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);

const common = { bundle: true, format: 'cjs', platform: 'node', target: 'node20.19' };
for (const command of COMMANDS) {
  await build({
    ...common,
    entryPoints: [`src/cli/${command}.ts`],
    // Beside each other, two folders down: code that finds files relative to its own module
    // (package.json, poems/) finds them from here.
    outfile: `${OUT}/${command}.bundle.js`,
    // The sources are ES modules; in a CommonJS bundle import.meta.url is the bundle's own URL.
    define: { 'import.meta.url': '__bundleUrl' },
    banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
  });
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
  const server = spawn(process.execPath, [`${OUT}/poetry-server.js`, '--delay', '0', poem], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const timer = setTimeout(() => server.kill('SIGKILL'), 20_000);
  try {
    const lines = createInterface({ input: server.stdout });
    const first = await new Promise((resolve) => {
      lines.once('line', resolve);
      server.once('exit', () => resolve(''));
    });
    const port = /:(\d+)$/.exec(String(first))?.[1];
    if (port === undefined) throw new Error(`poetry-server said ${JSON.stringify(first)}`);
    const client = spawn(process.execPath, [`${OUT}/get-poetry.js`, `127.0.0.1:${port}`], {
      env,
      stdio: 'ignore',
    });
    const status = await new Promise((resolve) => client.once('exit', resolve));
    if (status !== 0) throw new Error(`get-poetry exited with ${status}`);
    lines.resume();
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  } catch (error) {
    server.kill('SIGKILL');
    process.stderr.write(`bundle: no code cache made (${error.message}); commands start slower\n`);
  } finally {
    clearTimeout(timer);
  }
}
