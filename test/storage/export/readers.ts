/**
 * Independent readers of the export formats, by other authors than the writers:
 * openpyxl (Python, Debian's python3-openpyxl) for XLSX, parquet-wasm (the Rust
 * `parquet` crate) with apache-arrow for Parquet, warcio.js (Webrecorder) for WARC,
 * csv-parse for CSV and fast-xml-parser for XML.
 *
 * XLSX and Parquet are read in child processes: openpyxl is Python, and apache-arrow's
 * types pull in a newer @types/node than this project's, so the test code never imports
 * it (the child is plain JavaScript).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { parse as parseCsv } from 'csv-parse/sync';
import { XMLParser } from 'fast-xml-parser';
import { repoFile } from '../../support/repo-file.js';

const run = promisify(execFile);
const MAX_BUFFER = 512 * 1024 * 1024;

/** Debian's python3-openpyxl installs for /usr/bin/python3, not a pyenv's python3. */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

const OPENPYXL_DUMP = `
import json, sys
try:
    import openpyxl
except ImportError:
    sys.exit("openpyxl is missing: apt-get install -y python3-openpyxl")
wb = openpyxl.load_workbook(sys.argv[1], read_only=True)
out = []
for ws in wb.worksheets:
    out.append({"title": ws.title, "rows": [list(r) for r in ws.iter_rows(values_only=True)]})
json.dump(out, sys.stdout)
`;

export interface Sheet {
  title: string;
  rows: (string | number | boolean | null)[][];
}

/** Every sheet of an XLSX file, as openpyxl reads it. */
export async function readXlsx(path: string): Promise<Sheet[]> {
  const { stdout } = await run(PYTHON, ['-c', OPENPYXL_DUMP, path], { maxBuffer: MAX_BUFFER });
  return JSON.parse(stdout) as Sheet[];
}

const PARQUET_DUMP = `
import { readFileSync } from 'node:fs';
import { readParquet, ParquetFile } from 'parquet-wasm';
import { tableFromIPC } from 'apache-arrow';
const bytes = readFileSync(process.argv[1]);
const table = tableFromIPC(readParquet(bytes).intoIPCStream());
const fields = table.schema.fields.map((f) => ({ name: f.name, type: String(f.type), nullable: f.nullable }));
const rows = table.toArray().map((r) => r.toJSON());
const file = await ParquetFile.fromFile(new Blob([bytes]));
const meta = file.metadata();
const rowGroups = meta.numRowGroups();
process.stdout.write(JSON.stringify({ fields, rows, rowGroups }, (_, v) => typeof v === 'bigint' ? Number(v) : v));
`;

export interface ParquetContent {
  fields: { name: string; type: string; nullable: boolean }[];
  rows: Record<string, unknown>[];
  rowGroups: number;
}

/** A Parquet file's schema and rows, as arrow-rs (through parquet-wasm) reads them. */
export async function readParquet(path: string): Promise<ParquetContent> {
  const { stdout } = await run(
    process.execPath,
    ['--input-type=module', '-e', PARQUET_DUMP, path],
    // Bare imports of the script resolve from the repository's node_modules.
    { cwd: repoFile(''), maxBuffer: MAX_BUFFER },
  );
  return JSON.parse(stdout) as ParquetContent;
}

/** A CSV file as csv-parse reads it: arrays of strings, the header first. */
export async function readCsv(path: string): Promise<string[][]> {
  return parseCsv(await readFile(path), { bom: false, relax_quotes: false }) as string[][];
}

/** An XML export as fast-xml-parser reads it (attributes under `@_name`). */
export async function readXml(path: string): Promise<unknown> {
  const parser = new XMLParser({
    ignoreAttributes: false,
    parseTagValue: false,
    trimValues: false,
    htmlEntities: true,
    isArray: (name) => name === 'record' || name === 'item',
  });
  return parser.parse(await readFile(path, 'utf8'), true);
}
