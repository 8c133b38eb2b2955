#!/usr/bin/env node
// Starts one command: Node's compile cache on, where Node has one, then the command's bundle.
//
// The cache must be on before the bundle is compiled, hence this file of its own, built once per
// command (scripts/build.mjs). Node 22.1 and later keep what V8 compiled for each file, checked
// against the file's content, in NODE_COMPILE_CACHE or a folder in the temp folder, and use it
// on the next run; NODE_DISABLE_COMPILE_CACHE=1 turns it off. Where enableCompileCache is missing
// (Node.js before 22.1, a runtime without it) the bundle is loaded as usual.

import nodeModule = require('node:module');

/** The command this file starts: `get-poetry`, `poetry-server` or `demo` (set by the build). */
declare const COMMAND: string;

(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
require(`./${COMMAND}.bundle.js`);
