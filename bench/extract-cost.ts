/**
 * What `--extract markdown,metadata,structured` costs one thread, µs per page, on pages
 * of the synthetic site (rendered here, the first --pages of a 20,000-page site) or on
 * the HTML files of a directory; best of --rounds passes. --dist runs another build's
 * extractor (its dist/ directory, e.g. of the commit before a change in a git worktree),
 * so before and after run minutes apart on one machine:
 *
 *   npx tsc -p tsconfig.json && node dist/bench/extract-cost.js [--pages 300] [--dir DIR]
 *     [--rounds 5] [--dist /tmp/trawl-before/dist]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { extractFields as ExtractFields } from '../src/extract/extract-fields.js';
import { createPageRenderer } from './site/page-renderer.js';
import { createSiteModel } from './site/site-model.js';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '300' },
    dir: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    dist: { type: 'string' },
  },
});

const pages: string[] =
  values.dir === undefined
    ? Array.from({ length: Number(values.pages) }, (_, i) =>
        createPageRenderer(createSiteModel({ pages: 20_000 }))
          .render(i)
          .toString('utf8'),
      )
    : readdirSync(values.dir)
        .filter((f) => f.endsWith('.html'))
        .sort()
        .map((f) => readFileSync(join(values.dir!, f), 'utf8'));
if (pages.length === 0) {
  console.error('no pages');
  process.exit(2);
}

const module =
  values.dist === undefined
    ? '../src/extract/extract-fields.js'
    : pathToFileURL(join(resolve(values.dist), 'src/extract/extract-fields.js')).href;
const { extractFields } = (await import(module)) as { extractFields: typeof ExtractFields };

const options = { formats: ['markdown', 'metadata', 'structured'] as const };
const url = 'http://127.0.0.1:8080/p/1.html';
let best = Infinity;
for (let r = 0; r < Math.max(1, Number(values.rounds)); r++) {
  const t = performance.now();
  for (const html of pages) extractFields(html, url, options);
  best = Math.min(best, performance.now() - t);
}
const kb = pages.reduce((n, p) => n + p.length, 0) / pages.length / 1024;
console.log(
  `${values.dist ?? 'this build'}: ${pages.length} pages of ${kb.toFixed(1)} KB, ` +
    `${Math.round((best / pages.length) * 1000)} µs a page (best of ${values.rounds} passes)`,
);
