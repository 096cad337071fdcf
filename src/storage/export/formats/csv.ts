/**
 * CSV per RFC 4180: a header row, CRLF line ends, a field quoted (quotes doubled) when
 * it holds a quote, comma, CR or LF. null and missing are empty cells; objects and
 * arrays are their JSON text; booleans `true`/`false`. UTF-8 without a byte-order mark.
 */
import { toCell } from '../columns.js';
import { OutputFile } from '../output-file.js';
import type { RecordWriter, RecordWriterOptions } from '../record-writer.js';
import { tableWriter } from './tabular.js';

const NEEDS_QUOTES = /[",\r\n]/;
/** Cells a spreadsheet would evaluate (OWASP's list for CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell, quoted when needed. `formulaGuard` prefixes cells a spreadsheet would
 * evaluate with a quote.
 */
export function csvCell(value: unknown, formulaGuard = false): string {
  const v = toCell(value);
  if (v === null) return '';
  let s = String(v);
  if (formulaGuard && typeof v === 'string' && FORMULA_START.test(s)) s = `'${s}`;
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A CSV writer at `path`. */
export async function createCsvWriter(
  path: string,
  options: RecordWriterOptions,
): Promise<RecordWriter> {
  const out = await OutputFile.open(path);
  const guard = options.csvFormulaGuard === true;
  const cell = (value: unknown): string => csvCell(value, guard);
  return tableWriter(
    {
      async start(columns) {
        await out.write(columns.map((c) => cell(c.name)).join(',') + '\r\n');
      },
      row(values) {
        let line = '';
        for (let i = 0; i < values.length; i++) line += (i === 0 ? '' : ',') + cell(values[i]);
        return out.write(line + '\r\n');
      },
      finish: () => out.commit(),
      abort: () => out.abort(),
    },
    options,
  );
}
