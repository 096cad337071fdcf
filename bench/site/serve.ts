/**
 * Runs the synthetic site as its own process, so a benchmark can account the crawler's
 * CPU apart from the server's:
 *
 *   node dist/bench/site/serve.js --pages 20000 --port 8080 [--seed 1] [--latency-ms 0]
 *
 * Prints one JSON line `{"url", "pages", "seed", "pid"}` on stdout once listening, serves
 * until SIGTERM or SIGINT, and answers `GET /__stats` (counters as JSON) and
 * `GET /__stats/reset` (zero them, then answer as /__stats). With --exit-on-stdin-close it
 * also stops when its stdin closes, so it never outlives the benchmark that started it.
 */
import { parseArgs } from 'node:util';
import { startSiteServer } from './site-server.js';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '20000' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    seed: { type: 'string', default: '1' },
    'latency-ms': { type: 'string', default: '0' },
    'exit-on-stdin-close': { type: 'boolean', default: false },
  },
  strict: true,
});

const server = await startSiteServer({
  pages: integer('pages', values.pages),
  port: integer('port', values.port),
  host: values.host,
  seed: integer('seed', values.seed),
  latencyMs: integer('latency-ms', values['latency-ms']),
});
process.stdout.write(
  JSON.stringify({
    url: server.url,
    pages: server.stats().pages,
    seed: server.stats().seed,
    pid: process.pid,
  }) + '\n',
);

let closing = false;
const stop = (): void => {
  if (closing) return;
  closing = true;
  server.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (values['exit-on-stdin-close']) {
  // A benchmark parent that dies without SIGTERMing us (kill -9) closes our stdin pipe.
  process.stdin.on('end', stop).on('close', stop).resume();
}

function integer(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`serve: --${name} must be a non-negative integer, got "${raw}"`);
    process.exit(2);
  }
  return n;
}
