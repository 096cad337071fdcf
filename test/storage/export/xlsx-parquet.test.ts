/**
 * XLSX read back by openpyxl and Parquet by parquet-wasm/apache-arrow (arrow-rs),
 * compared field by field with what was written, for generic and page records.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  createRecordWriter,
  type ExportFormat,
  type RecordWriterOptions,
} from '../../../src/storage/export/record-writer.js';
import {
  pageExportRecord,
  PAGE_FIELDS,
  writeExport,
} from '../../../src/storage/export/write-export.js';
import { tempDir } from '../../support/temp-dir.js';
import { asyncPages, GENERIC, storedPage } from './fixtures.js';
import { readParquet, readXlsx } from './readers.js';

let dir: { path: string; cleanup: () => Promise<void> };
before(async () => (dir = await tempDir('trawl-export-')));
after(() => dir.cleanup());

async function writeAll(
  format: ExportFormat,
  name: string,
  records: Record<string, unknown>[],
  options?: RecordWriterOptions,
): Promise<string> {
  const path = join(dir.path, name);
  const writer = await createRecordWriter(format, path, options);
  for (const r of records) await writer.write(r);
  await writer.close();
  return path;
}

/** What a spreadsheet cell or a STRING column holds for a value. */
function cellOf(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  return typeof v === 'object' ? JSON.stringify(v) : v;
}

const PAGES = Array.from({ length: 12 }, (_, i) => storedPage(i, false));

describe('XLSX (read by openpyxl)', () => {
  test('generic records: header, numbers, booleans, text, JSON cells, empty cells', async () => {
    const path = await writeAll('xlsx', 'g.xlsx', GENERIC);
    const [sheet, ...more] = await readXlsx(path);
    assert.equal(more.length, 0);
    assert.equal(sheet!.title, 'records');
    const [header, ...rows] = sheet!.rows;
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
    assert.equal(rows.length, GENERIC.length);
    rows.forEach((row, r) =>
      (header as string[]).forEach((h, c) => {
        const want = h === 'ctrl' && r === 2 ? 'badchar' : cellOf(GENERIC[r]![h]);
        assert.deepEqual(row[c] ?? null, want, `row ${r} ${h}`);
      }),
    );
  });

  test('page records: the page fields in order, every value as stored', async () => {
    const path = join(dir.path, 'pages.xlsx');
    assert.equal(await writeExport(asyncPages(PAGES), path, 'xlsx'), PAGES.length);
    const [header, ...rows] = (await readXlsx(path))[0]!.rows;
    assert.deepEqual(header, [...PAGE_FIELDS]);
    rows.forEach((row, r) => {
      const want = pageExportRecord(PAGES[r]!);
      PAGE_FIELDS.forEach((f, c) => assert.deepEqual(row[c] ?? null, want[f], `row ${r} ${f}`));
    });
  });

  test('a cell is cut at 32,767 characters; leading spaces are kept', async () => {
    const path = await writeAll('xlsx', 'long.xlsx', [
      { long: 'y'.repeat(40_000), pad: '  two  ' },
    ]);
    const row = (await readXlsx(path))[0]!.rows[1]!;
    assert.equal((row[0] as string).length, 32_767);
    assert.equal(row[1], '  two  ');
  });
});

describe('Parquet (read by parquet-wasm + apache-arrow)', () => {
  test('page records: declared types, several row groups, every value', async () => {
    const path = join(dir.path, 'pages.parquet');
    const many = Array.from({ length: 45 }, (_, i) => storedPage(i, false));
    const writer = await createRecordWriter('parquet', path, {
      defaultFields: PAGE_FIELDS,
      rowGroupRows: 10,
      columnTypes: { status: 'int64', depth: 'int64', linkCount: 'int64', durationMs: 'double' },
    });
    for (const p of many) await writer.write(pageExportRecord(p));
    assert.deepEqual(await writer.close().then((r) => r.records), 45);
    const content = await readParquet(path);
    assert.equal(content.rowGroups, 5);
    assert.deepEqual(
      content.fields.map((f) => f.name),
      [...PAGE_FIELDS],
    );
    const type = (name: string): string => content.fields.find((f) => f.name === name)!.type;
    assert.equal(type('status'), 'Int64');
    assert.equal(type('durationMs'), 'Float64');
    assert.equal(type('url'), 'Utf8');
    assert.equal(content.rows.length, 45);
    content.rows.forEach((row, r) => {
      const want = pageExportRecord(many[r]!);
      for (const f of PAGE_FIELDS) assert.deepEqual(row[f], want[f], `row ${r} ${f}`);
    });
  });

  test('the page export declares the page types itself', async () => {
    const path = join(dir.path, 'pages2.parquet');
    await writeExport(asyncPages(PAGES), path, 'parquet');
    const content = await readParquet(path);
    assert.equal(content.fields.find((f) => f.name === 'attempts')!.type, 'Int64');
    assert.deepEqual(content.rows[3]!.status, 404);
    assert.equal(content.rows[4]!.error, 'timeout');
  });

  test('generic records: inferred types; objects as JSON text; mixed columns as text', async () => {
    const records = [...GENERIC, { id: 'four', ok: 'yes', score: 2 }];
    const path = await writeAll('parquet', 'g.parquet', records);
    const content = await readParquet(path);
    const type = (name: string): string => content.fields.find((f) => f.name === name)!.type;
    assert.equal(type('id'), 'Utf8', 'numbers and a string: text');
    assert.equal(type('score'), 'Float64');
    assert.equal(type('ok'), 'Utf8');
    assert.equal(type('name'), 'Utf8');
    assert.equal(content.rows[0]!.id, '1');
    assert.equal(content.rows[3]!.id, 'four');
    assert.equal(content.rows[1]!.score, -3);
    assert.deepEqual(JSON.parse(content.rows[0]!.meta as string), { description: 'first', n: 2 });
    assert.deepEqual(JSON.parse(content.rows[0]!.tags as string), ['a', 'b']);
    assert.equal(content.rows[0]!.note, null);
    assert.equal(content.rows[2]!.unicode, 'héllo 世界 🎉');
    assert.equal(content.rows[1]!.name, GENERIC[1]!.name);
  });

  test('an export of no records is a valid empty file', async () => {
    const path = await writeAll('parquet', 'empty.parquet', [], { fields: ['a', 'b'] });
    const content = await readParquet(path);
    assert.deepEqual(
      content.fields.map((f) => f.name),
      ['a', 'b'],
    );
    assert.equal(content.rows.length, 0);
  });
});
