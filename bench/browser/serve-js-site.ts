/**
 * The browser benchmark's site (js-site.ts) as its own process, so the crawlers' CPU and
 * memory are measured apart from the server's:
 *
 *   node dist/bench/browser/serve-js-site.js --pages 1000 --script-share 1 [--seed 1] [--port 0]
 *
 * Prints `{"url", "pages", "scriptPages", "pid"}` as one JSON line once listening; answers
 * `GET /__stats` and `GET /__stats/reset`; stops on SIGTERM, SIGINT or when stdin closes
 * (so it never outlives the runner that started it).
 */
import { parseArgs } from 'node:util';
import { startJsSite } from './js-site.js';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '1000' },
    'script-share': { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
    port: { type: 'string', default: '0' },
  },
  strict: true,
});
const site = await startJsSite({
  pages: Number(values.pages),
  scriptShare: Number(values['script-share']),
  seed: Number(values.seed),
  port: Number(values.port),
});
process.stdout.write(
  JSON.stringify({
    url: site.url,
    pages: site.model.pages,
    scriptPages: site.model.scriptPages,
    pid: process.pid,
  }) + '\n',
);
let closing = false;
const stop = (): void => {
  if (closing) return;
  closing = true;
  void site.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop).on('close', stop).resume();
