#!/usr/bin/env node
// Starts one command from its bundle with V8's code cache, so it starts about as fast as Node.
//
// A command is built twice over (scripts/bundle.mjs): COMMAND.bundle.js holds all its code, and
// this launcher, built once per command, runs it. Node compiles a script's functions the first
// time each is called; for a command that runs for a tenth of a second, compiling its own code
// and commander's is a tenth of its time. So the build runs each command once for real and keeps
// what V8 compiled, its code cache, beside the bundle; here V8 is handed that cache with the
// source, and compiles nothing it has already seen.
//
// A cache fits one build of the bundle and one version of V8, so its name says which: the build
// ends the bundle with `// build ID` (from a hash of its content) and the cache is
// COMMAND.bundle.js.ID.V8.cache. Under another Node.js the bundle is loaded the usual way, with
// Node's own compile cache where it has one (22.1 and later; kept in the temp folder). V8 itself
// checks a cache's flags and the source's length, and rejects one that does not fit (the bundle
// is then compiled as usual); a cache older than its bundle (an edit by hand) is not used either.
// V8 does not checksum a cache, so one is only ever written whole (a temporary file, renamed).
// NODE_DEBUG=poetry-now says which happened.

import fs = require('node:fs');
import nodeModule = require('node:module');
import path = require('node:path');
import util = require('node:util');
import vm = require('node:vm');

/** The command this launcher runs: `get-poetry`, `poetry-server` or `demo` (set by the build). */
declare const COMMAND: string;

/** Set by the build to have the run write the code cache as it exits. */
const WRITE_CACHE_VARIABLE = 'POETRY_NOW_WRITE_CODE_CACHE';

const debug = util.debuglog('poetry-now');
const bundle = path.join(__dirname, `${COMMAND}.bundle.js`);
const source = fs.readFileSync(bundle, 'utf8');
const buildId = /\/\/ build ([0-9a-f]+)\n?$/.exec(source.slice(-64))?.[1] ?? 'unknown';
const cacheFile = `${bundle}.${buildId}.${process.versions.v8}.cache`;

/** The cache, unless there is none or it is older than the bundle. */
function readCache(): Buffer | undefined {
  try {
    if (fs.statSync(cacheFile).mtimeMs < fs.statSync(bundle).mtimeMs) {
      debug('code cache: older than %s, not used', bundle);
      return undefined;
    }
    return fs.readFileSync(cacheFile);
  } catch {
    debug('code cache: none for %s (build %s) under V8 %s', bundle, buildId, process.versions.v8);
    return undefined;
  }
}

/** Loads the bundle as Node loads any module, with Node's compile cache if it has one. */
function requireBundle(): void {
  (nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
  require(bundle);
}

const writeCache = process.env[WRITE_CACHE_VARIABLE] === '1';
const cachedData = readCache();
if (cachedData === undefined && !writeCache) requireBundle();
else runWithCache(cachedData);

/** Compiles the bundle with V8 handed the cache, and runs it as Node runs a CommonJS module. */
function runWithCache(cachedData: Buffer | undefined): void {
  const script = new vm.Script(nodeModule.wrap(source), {
    filename: bundle,
    cachedData,
  });
  if (cachedData !== undefined) {
    debug('code cache: %s', script.cachedDataRejected === true ? 'rejected' : 'used');
  }
  if (writeCache) {
    // At exit, so the cache holds every function this run compiled, not only the top level.
    process.once('exit', () => {
      const partFile = `${cacheFile}.${process.pid}.part`;
      fs.writeFileSync(partFile, script.createCachedData());
      fs.renameSync(partFile, cacheFile);
    });
  }
  const bundleModule = { exports: {} };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(
    bundleModule.exports,
    bundleModule.exports,
    nodeModule.createRequire(bundle),
    bundleModule,
    bundle,
    __dirname,
  );
}
