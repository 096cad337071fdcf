/** JSONL, JSON, CSV and XML writers, read back by JSON.parse, csv-parse and fast-xml-parser. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createRecordWriter,
  formatFromPath,
  formatNeedsBodies,
  type ExportFormat,
  type RecordWriterOptions,
} from '../../../src/storage/export/record-writer.js';
import { tempDir } from '../../support/temp-dir.js';
import { GENERIC } from './fixtures.js';
import { readCsv, readXml } from './readers.js';

let dir: { path: string; cleanup: () => Promise<void> };
before(async () => (dir = await tempDir('trawl-export-')));
after(() => dir.cleanup());

async function writeAll(
  format: ExportFormat,
  name: string,
  records: Record<string, unknown>[],
  options?: RecordWriterOptions,
): Promise<{ path: string; records: number; bytes: number }> {
  const path = join(dir.path, name);
  const writer = await createRecordWriter(format, path, options);
  for (const r of records) await writer.write(r);
  return { path, ...(await writer.close()) };
}

/** A value as CSV/XML text: what the file should say for it. */
function asText(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

describe('record writers: JSONL, JSON, CSV, XML', () => {
  test('JSONL and JSON keep every record whole, nested values included', async () => {
    const jsonl = await writeAll('jsonl', 'g.jsonl', GENERIC);
    const lines = (await readFile(jsonl.path, 'utf8')).trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l) => JSON.parse(l) as unknown),
      GENERIC,
    );
    assert.equal(jsonl.records, 3);
    assert.equal(jsonl.bytes, (await readFile(jsonl.path)).length);

    const json = await writeAll('json', 'g.json', GENERIC);
    assert.deepEqual(JSON.parse(await readFile(json.path, 'utf8')), GENERIC);
    const empty = await writeAll('json', 'empty.json', []);
    assert.deepEqual(JSON.parse(await readFile(empty.path, 'utf8')), []);
  });

  test('fields select and order, dotted paths reach nested values, rename maps names', async () => {
    const options = {
      fields: ['name', 'meta.description', 'id', 'missing'],
      rename: { 'meta.description': 'description' },
    };
    const { path } = await writeAll('jsonl', 'sel.jsonl', GENERIC, options);
    const rows = (await readFile(path, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(Object.keys(rows[0]!), ['name', 'description', 'id', 'missing']);
    assert.deepEqual(rows[1], {
      name: GENERIC[1]!.name,
      description: 'second',
      id: 2,
      missing: null,
    });
    assert.equal(rows[2]!.description, null);

    const csv = await writeAll('csv', 'sel.csv', GENERIC, options);
    const table = await readCsv(csv.path);
    assert.deepEqual(table[0], ['name', 'description', 'id', 'missing']);
    assert.deepEqual(table[1], [GENERIC[0]!.name, 'first', '1', '']);
  });

  test('CSV: RFC 4180 with a header; nested values as JSON; columns from the sample', async () => {
    const { path } = await writeAll('csv', 'g.csv', GENERIC);
    const raw = await readFile(path, 'utf8');
    assert.ok(raw.includes('\r\n'), 'CRLF line ends');
    const table = await readCsv(path);
    const header = table[0]!;
    assert.deepEqual(header, [
      'id',
      'name',
      'tags',
      'meta',
      'ok',
      'score',
      'note',
      'unicode',
      'ctrl',
      'odd key!',
      '1st',
    ]);
    assert.equal(table.length, 4);
    for (let r = 0; r < GENERIC.length; r++) {
      header.forEach((h, c) =>
        assert.equal(table[r + 1]![c], asText(GENERIC[r]![h]), `row ${r} ${h}`),
      );
    }
  });

  test('CSV: fields first seen after the sample are not columns (JSONL keeps them)', async () => {
    const records = [{ a: 1 }, { a: 2, late: 'x' }];
    const { path } = await writeAll('csv', 'late.csv', records, { sampleRecords: 1 });
    assert.deepEqual(await readCsv(path), [['a'], ['1'], ['2']]);
    const jsonl = await writeAll('jsonl', 'late.jsonl', records, { sampleRecords: 1 });
    assert.match(await readFile(jsonl.path, 'utf8'), /"late":"x"/);
  });

  test('CSV: the formula guard is opt-in and prefixes a quote', async () => {
    const records = [{ v: '=1+2' }, { v: '+x' }, { v: '@sum' }, { v: '-3' }, { v: 'plain' }];
    const off = await readCsv((await writeAll('csv', 'f0.csv', records)).path);
    assert.deepEqual(
      off.slice(1).map((r) => r[0]),
      ['=1+2', '+x', '@sum', '-3', 'plain'],
    );
    const on = await readCsv(
      (await writeAll('csv', 'f1.csv', records, { csvFormulaGuard: true })).path,
    );
    assert.deepEqual(
      on.slice(1).map((r) => r[0]),
      ["'=1+2", "'+x", "'@sum", "'-3", 'plain'],
    );
  });

  test('XML: sanitised, escaped element names and text; nesting, arrays, nulls', async () => {
    const { path } = await writeAll('xml', 'g.xml', GENERIC);
    const doc = (await readXml(path)) as { records: { record: Record<string, unknown>[] } };
    const [r0, r1, r2] = doc.records.record;
    assert.equal(r0!.name, GENERIC[0]!.name);
    assert.deepEqual(r0!.tags, { item: ['a', 'b'] });
    assert.deepEqual(r0!.meta, { description: 'first', n: '2' });
    assert.deepEqual(r0!.note, { '@_nil': 'true' });
    assert.equal(r0!.ok, 'true');
    assert.equal(r0!.score, '1.5');
    // CR kept as a reference, markup escaped.
    assert.equal(r1!.name, GENERIC[1]!.name);
    assert.equal(r2!.unicode, 'héllo 世界 🎉');
    // Characters XML cannot hold are dropped.
    assert.equal(r2!.ctrl, 'badchar');
    // Bad names become valid ones; the original is kept in `key`.
    assert.deepEqual(r2!['odd_key_'], { '#text': 'k', '@_key': 'odd key!' });
    assert.deepEqual(r2!['_1st'], { '#text': 'digit', '@_key': '1st' });
  });

  test('a JSON writer fed concurrently still writes valid JSON', async () => {
    const path = join(dir.path, 'conc.json');
    const writer = await createRecordWriter('json', path);
    await Promise.all(GENERIC.map((r) => writer.write(r)));
    await writer.close();
    assert.equal((JSON.parse(await readFile(path, 'utf8')) as unknown[]).length, 3);
  });

  test('abort leaves no file and no temporary file; an existing target is kept', async () => {
    const sub = join(dir.path, 'abort');
    await import('node:fs/promises').then((fs) => fs.mkdir(sub));
    const target = join(sub, 'out.csv');
    await writeFile(target, 'old');
    for (const format of ['jsonl', 'csv', 'xml', 'xlsx', 'parquet', 'warc'] as const) {
      const writer = await createRecordWriter(format, target);
      await writer.write({ url: 'http://x.test/', status: null });
      await writer.abort();
    }
    assert.deepEqual(await readdir(sub), ['out.csv']);
    assert.equal(await readFile(target, 'utf8'), 'old');
  });

  test('bad input: duplicate output names, an unwritable path', async () => {
    await assert.rejects(
      createRecordWriter('csv', join(dir.path, 'dup.csv'), {
        fields: ['a', 'b'],
        rename: { b: 'a' },
      }),
      /two export columns are named "a"/,
    );
    await assert.rejects(
      createRecordWriter('jsonl', join(dir.path, 'no/such/dir/x.jsonl')),
      /ENOENT/,
    );
  });

  test('format from the file name; which formats need bodies', () => {
    assert.equal(formatFromPath('a/b.CSV'), 'csv');
    assert.equal(formatFromPath('x.ndjson'), 'jsonl');
    assert.equal(formatFromPath('x.warc.gz'), 'warc');
    assert.equal(formatFromPath('x.parquet'), 'parquet');
    assert.equal(formatFromPath('x.txt'), null);
    assert.equal(formatNeedsBodies('warc'), true);
    assert.equal(formatNeedsBodies('xlsx'), false);
  });
});
