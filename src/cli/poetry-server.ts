#!/usr/bin/env node
// The poetry-server command (not built yet).

process.stdout.write('poetry-server: not yet\n');
