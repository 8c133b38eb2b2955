// Draws the README's picture, docs/timeline.png: runs the demo (npm run build first), then shows
// the timeline it wrote in Debian's Chromium (or CHROMIUM_PATH) and saves the picture as PNG.
//
//   npm run build && node scripts/timeline-screenshot.mjs [OUT.png]
import { execFile } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = process.argv[2] ?? fileURLToPath(new URL('../docs/timeline.png', import.meta.url));

const { stdout } = await promisify(execFile)(process.execPath, ['dist/cli/demo.js'], {
  cwd: root,
  env: { ...process.env, NO_COLOR: '1' },
});
const file = /^The picture of both runs.*: (\S+\.html)$/m.exec(stdout)?.[1];
if (file === undefined) throw new Error(`the demo named no timeline file:\n${stdout}`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless', '--disable-gpu'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
  await page.goto(pathToFileURL(file).href);
  // What the thread did in one slice of the run, as a reader pointing at it would see it.
  await page.locator('g.run[data-run="1"] g.thread-slice rect.thread-hit').nth(20).hover();
  await page.locator('svg.timeline').screenshot({ path: out });
} finally {
  await browser.close();
}
process.stdout.write(`${out}\n`);
