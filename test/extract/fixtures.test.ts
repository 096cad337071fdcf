/** Every fixture page against its checked-in Markdown and fields, compared exactly. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractFields } from '../../src/extract/extract-fields.js';
import { EXAMPLE_ADAPTERS } from '../../src/extract/adapters/examples/index.js';
import { FIXTURE_PAGES, expected, readPage } from './fixture-pages.js';

for (const page of FIXTURE_PAGES) {
  test(`fixture ${page.name}: markdown and fields as checked in`, () => {
    const r = extractFields(readPage(page.name), page.url, {
      formats: ['markdown', 'metadata', 'structured', 'links', 'text'],
      adapters: EXAMPLE_ADAPTERS,
    });
    assert.equal(
      r.markdown,
      expected(`${page.name}.expected.md`, `${r.markdown ?? ''}\n`).replace(/\n$/, ''),
    );
    const { markdown: _m, extraction, links, ...fields } = r;
    const json = {
      ...fields,
      links: links?.slice(0, 20),
      linkCount: links?.length,
      extraction: { ...extraction, ms: undefined },
    };
    const actual = `${JSON.stringify(json, null, 2)}\n`;
    assert.deepEqual(
      JSON.parse(actual),
      JSON.parse(expected(`${page.name}.expected.json`, actual)),
    );
    // Plain JSON: survives a structured clone (worker threads) and JSON round trip unchanged.
    assert.deepEqual(structuredClone(r), r);
    assert.ok(
      extraction.ms >= 0 && extraction.boilerplateRatio >= 0 && extraction.boilerplateRatio <= 1,
    );
  });
}
