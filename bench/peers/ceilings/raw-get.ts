/**
 * Ceiling 1: the fastest this machine can pull the site's pages over HTTP in Node, with no
 * parsing, no dedup, no storage. GETs every path of a list (known in advance: from the
 * site model, or from a reference crawl of the real site) with N requests in flight on
 * keep-alive connections, reads each body to the end, and writes `{url, status}` lines.
 *
 *   node dist/bench/peers/ceilings/raw-get.js --origin URL --paths FILE --out FILE
 *     [--concurrency 64] [--max-pages N]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';

const { values } = parseArgs({
  options: {
    origin: { type: 'string' },
    paths: { type: 'string' },
    out: { type: 'string' },
    concurrency: { type: 'string', default: '64' },
    'max-pages': { type: 'string' },
  },
});
if (!values.origin || !values.paths || !values.out) {
  console.error('usage: raw-get --origin URL --paths FILE --out FILE [--concurrency N]');
  process.exit(2);
}
const origin = values.origin.replace(/\/$/, '');
const concurrency = Number(values.concurrency);
let paths = readFileSync(values.paths, 'utf8').split('\n').filter(Boolean);
if (values['max-pages']) paths = paths.slice(0, Number(values['max-pages']));

const agent = new Agent({ connections: concurrency, keepAliveTimeout: 60_000 });
const lines: string[] = new Array<string>(paths.length);
let next = 0;

async function lane(): Promise<void> {
  while (next < paths.length) {
    const i = next++;
    const url = origin + paths[i];
    try {
      const res = await request(url, { dispatcher: agent });
      // Read every byte (a real crawler must), but keep none of them.
      for await (const _chunk of res.body) {
        // discard
      }
      lines[i] = JSON.stringify({ url, status: res.statusCode });
    } catch (err) {
      lines[i] = JSON.stringify({ url, status: null, error: (err as Error).message });
    }
  }
}

await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, lane));
writeFileSync(values.out, lines.join('\n') + '\n');
await agent.close();
