/** `trawl demo`: the README's first command, end to end. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { readJsonl } from '../support/read-output.js';
import { tempDir } from '../support/temp-dir.js';

test('trawl demo serves a sample site, crawls it and shows the result', async () => {
  const dir = await tempDir();
  try {
    const out = join(dir.path, 'demo.jsonl');
    const result = await runCli(['demo', '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /Crawl complete/);
    assert.match(result.stdout, /First pages of the output/);
    const rows = await readJsonl(out);
    assert.ok(rows.length > 250, `${rows.length} pages`);
    assert.equal(new Set(rows.map((r) => r.url)).size, rows.length);
    const ok = rows.filter((r) => r.status === 200 && r.error === null);
    assert.ok(ok.length > 250);
    assert.ok(
      rows.some((r) => r.error === 'robots_disallowed'),
      'robots.txt obeyed',
    );
    assert.ok(
      rows.some((r) => r.status === 404),
      'broken links recorded',
    );
  } finally {
    await dir.cleanup();
  }
});
