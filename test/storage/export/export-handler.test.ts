/** The pipeline's `export` handler: options, pass-through, writing, limits, failures. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HandlerContext, HandlerLogEntry, Item } from '../../../src/pipeline/handler.js';
import {
  exportHandler,
  type ExportOptions,
} from '../../../src/pipeline/handlers/export-records.js';
import { tempDir } from '../../support/temp-dir.js';
import { GENERIC } from './fixtures.js';
import { readCsv, readXlsx } from './readers.js';

let dir: { path: string; cleanup: () => Promise<void> };
before(async () => (dir = await tempDir('trawl-export-handler-')));
after(() => dir.cleanup());

/** Runs `items` through the handler as a chain would: parse, setup, run each, close. */
async function runHandler(
  raw: unknown,
  items: Item[],
  concurrent = false,
): Promise<{ outputs: unknown[]; logs: HandlerLogEntry[] }> {
  const options = exportHandler.options.parse(raw);
  const state = await exportHandler.setup!(options, {});
  const logs: HandlerLogEntry[] = [];
  const ctx: HandlerContext<ExportOptions> = {
    options,
    state,
    signal: new AbortController().signal,
    jobId: null,
    services: {},
    log: (level, message, data) =>
      logs.push({ at: Date.now(), level, handler: 'export', message, data }),
  };
  const outputs = concurrent
    ? await Promise.all(items.map((i) => exportHandler.run(i, ctx)))
    : await items.reduce<Promise<unknown[]>>(
        async (acc, i) => [...(await acc), await exportHandler.run(i, ctx)],
        Promise.resolve([]),
      );
  await exportHandler.close!(state);
  return { outputs, logs };
}

describe('export handler', () => {
  test('without a path it passes items through and writes nothing', async () => {
    const { outputs } = await runHandler({}, GENERIC);
    assert.deepEqual(outputs, GENERIC);
    for (const o of outputs) assert.ok(GENERIC.includes(o as Item), 'the same item, unchanged');
  });

  test('writes every item (format from the path), returns each unchanged', async () => {
    const path = join(dir.path, 'items.csv');
    const { outputs } = await runHandler(
      { path, fields: ['id', 'meta.description'], rename: { 'meta.description': 'd' } },
      GENERIC,
    );
    assert.deepEqual(outputs, GENERIC);
    assert.deepEqual(await readCsv(path), [
      ['id', 'd'],
      ['1', 'first'],
      ['2', 'second'],
      ['3', ''],
    ]);
  });

  test('concurrent items are all written; maxRecords stops writing, not passing', async () => {
    const path = join(dir.path, 'items.jsonl');
    const items = Array.from({ length: 50 }, (_, i) => ({ i }));
    const { outputs, logs } = await runHandler({ path, maxRecords: 20 }, items, true);
    assert.equal(outputs.length, 50);
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    assert.equal(lines.length, 20);
    assert.equal(logs.filter((l) => l.level === 'warn').length, 1);
  });

  test('an item changed in place by a later handler is exported as it was', async () => {
    const path = join(dir.path, 'sample.xlsx');
    const item: Item = { name: 'before' };
    const options = exportHandler.options.parse({ path });
    const state = await exportHandler.setup!(options, {});
    const ctx = {
      options,
      state,
      signal: new AbortController().signal,
      jobId: null,
      services: {},
      log: () => {},
    };
    await exportHandler.run(item, ctx);
    item.name = 'after';
    await exportHandler.close!(state);
    assert.deepEqual((await readXlsx(path))[0]!.rows, [['name'], ['before']]);
  });

  test('bad options are rejected by the schema', () => {
    for (const bad of [
      { path: '' },
      { format: 'docx' },
      { maxRecords: 0 },
      { fields: [] },
      { extra: 1 },
    ]) {
      assert.equal(exportHandler.options.safeParse(bad).success, false, JSON.stringify(bad));
    }
  });

  test('a file that cannot be opened fails setup; nothing is left behind', async () => {
    const path = join(dir.path, 'missing', 'x.jsonl');
    await assert.rejects(
      Promise.resolve(exportHandler.setup!(exportHandler.options.parse({ path }), {})),
      /ENOENT/,
    );
    assert.ok(!existsSync(path));
  });
});
