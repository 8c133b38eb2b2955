import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * With POETRY_TEST_RUNTIME set (test/helpers/runtime.ts), only the test files that spawn a built
 * command or run a program under that runtime: the rest run in the test runner's own process,
 * which that switch does not change.
 */
function spawningTestFiles(): string[] {
  const spawns =
    /\b(runCli|startCli|startServer|runServer|new ServerProcess|runGetPoetryOnPty|runtimeCommand)\(/;
  return readdirSync('test', { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.test.ts'))
    .map((path) => join('test', path))
    .filter((path) => spawns.test(readFileSync(path, 'utf8')))
    .sort();
}

export default defineConfig({
  test: {
    include: process.env.POETRY_TEST_RUNTIME ? spawningTestFiles() : ['test/**/*.test.ts'],
    // Every test is bounded: a hang fails the test instead of holding CI.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
    pool: 'forks',
    // CI (.ci/run) sums these reports into its closing "N passed, N failed" line.
    ...(process.env.POETRY_TEST_REPORT_DIR && {
      reporters: ['default', 'json'],
      outputFile: {
        json: join(process.env.POETRY_TEST_REPORT_DIR, `vitest-${process.pid}-${Date.now()}.json`),
      },
    }),
  },
});
