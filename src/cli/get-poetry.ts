#!/usr/bin/env node
// The get-poetry command (not built yet).

process.stdout.write('get-poetry: not yet\n');
