// The get-poetry command: fetch poems from many servers at once and print them.

import { runCommand } from './command.js';
import { addressesToFetch, type GetPoetryOptions, getPoetryProgram } from './get-poetry-program.js';

void runCommand('get-poetry', async () => {
  const program = getPoetryProgram();
  program.parse(process.argv);
  const options = program.opts<GetPoetryOptions>();
  const addresses = addressesToFetch(program.args, options);
  // Loaded only now, so `--help` and usage errors never pay for the reactor and the client.
  const { runGetPoetry } = await import('./get-poetry-run.js');
  return runGetPoetry(addresses, options);
});
