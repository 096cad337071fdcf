/**
 * XLSX (Office Open XML spreadsheet), written streaming: the sheet's XML goes into the
 * ZIP stream as rows arrive, so memory stays flat however many rows there are.
 *
 * Our own writer over yazl (a streaming ZIP writer with ZIP64) instead of exceljs: it
 * is a few XML templates, needs no shared-strings table (cells are inline strings,
 * which Excel, LibreOffice and openpyxl read) and pulls in one small dependency instead
 * of exceljs's archiver/jszip/unzipper tree.
 *
 * Limits of the format, handled here: a sheet holds 1,048,576 rows, so longer exports
 * continue on sheets "records 2", "records 3", … (each with the header row); a cell
 * holds 32,767 characters, so longer text is cut there. Numbers are numeric cells,
 * booleans boolean cells, objects and arrays their JSON text, null an empty cell.
 */
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import yazl from 'yazl';
import { toCell, type Column } from '../columns.js';
import { OutputFile } from '../output-file.js';
import type { RecordWriter, RecordWriterOptions } from '../record-writer.js';
import { xmlText } from '../xml-text.js';
import { tableWriter } from './tabular.js';

/** Excel's limits (rows per sheet include the header row). */
const MAX_ROWS = 1_048_576;
const MAX_CELL_CHARS = 32_767;
const CHUNK_CHARS = 64 * 1024;
/** zlib level 4: ~2x faster than the default 6 for ~5 % bigger sheets of crawl data. */
const COMPRESSION_LEVEL = 4;
const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';
const XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
/** The header row stays visible while scrolling. */
const SHEET_HEAD =
  `${XML_DECL}<worksheet xmlns="${MAIN_NS}"><sheetViews><sheetView workbookViewId="0">` +
  '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' +
  '</sheetView></sheetViews><sheetData>';
const SHEET_TAIL = '</sheetData></worksheet>';

/** An XLSX writer at `path`: one workbook, sheet "records" (and more past 1,048,576 rows). */
export async function createXlsxWriter(
  path: string,
  options: RecordWriterOptions,
): Promise<RecordWriter> {
  const out = await OutputFile.open(path);
  const zip = new yazl.ZipFile();
  const mtime = new Date();
  let failure: Error | null = null;
  let fail!: (err: Error) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined);
  const onError = (err: Error): void => {
    failure ??= err;
    fail(err);
  };
  zip.on('error', onError);
  // Moves the ZIP bytes to the file; the file's backpressure pauses the ZIP stream.
  const pumped = (async () => {
    for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) await out.write(chunk);
  })();
  pumped.catch(onError);

  let columns: readonly Column[] = [];
  let letters: string[] = [];
  let sheet: PassThrough | null = null;
  let sheets = 0;
  let rowNumber = 0;
  let text = '';

  const flush = async (): Promise<void> => {
    if (failure !== null) throw failure;
    if (text === '' || sheet === null) return;
    const ok = sheet.write(text);
    text = '';
    if (!ok) await Promise.race([once(sheet, 'drain'), failed]);
  };
  const openSheet = (): void => {
    sheets++;
    sheet = new PassThrough();
    zip.addReadStream(sheet, `xl/worksheets/sheet${sheets}.xml`, {
      mtime,
      compressionLevel: COMPRESSION_LEVEL,
    });
    text = SHEET_HEAD;
    rowNumber = 0;
    appendRow(columns.map((c) => c.name));
  };
  const closeSheet = async (): Promise<void> => {
    text += SHEET_TAIL;
    await flush();
    sheet?.end();
    sheet = null;
  };
  const appendRow = (values: readonly unknown[]): void => {
    rowNumber++;
    let row = `<row r="${rowNumber}">`;
    for (let i = 0; i < values.length; i++) row += cellXml(letters[i]! + rowNumber, values[i]);
    text += row + '</row>';
  };

  return tableWriter(
    {
      async start(cols) {
        columns = cols;
        letters = cols.map((_, i) => columnLetters(i));
        for (const [name, body] of staticParts()) zip.addBuffer(Buffer.from(body), name, { mtime });
        openSheet();
        await flush();
      },
      row(values) {
        if (rowNumber === MAX_ROWS)
          return closeSheet()
            .then(openSheet)
            .then(() => add(values));
        return add(values);
      },
      async finish() {
        await closeSheet();
        for (const [name, body] of workbookParts(sheets)) {
          zip.addBuffer(Buffer.from(body), name, { mtime });
        }
        zip.end();
        await Promise.race([pumped, failed]);
        return out.commit();
      },
      async abort() {
        sheet?.destroy();
        await out.abort();
      },
    },
    options,
  );

  function add(values: readonly unknown[]): Promise<void> | undefined {
    appendRow(values);
    return text.length >= CHUNK_CHARS || failure !== null ? flush() : undefined;
  }
}

function cellXml(ref: string, value: unknown): string {
  const v = toCell(value);
  if (v === null) return '';
  if (typeof v === 'number') return `<c r="${ref}"><v>${v}</v></c>`;
  if (typeof v === 'boolean') return `<c r="${ref}" t="b"><v>${v ? 1 : 0}</v></c>`;
  // The limit counts characters of the text, not of its escaped form.
  const s = xmlText(v.length > MAX_CELL_CHARS ? v.slice(0, MAX_CELL_CHARS) : v);
  const space = /^\s|\s$/.test(s) ? ' xml:space="preserve"' : '';
  return `<c r="${ref}" t="inlineStr"><is><t${space}>${s}</t></is></c>`;
}

/** 0 -> A, 25 -> Z, 26 -> AA, … */
function columnLetters(index: number): string {
  let n = index + 1;
  let s = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

function staticParts(): [string, string][] {
  return [
    [
      '_rels/.rels',
      `${XML_DECL}<Relationships xmlns="${PKG_REL_NS}"><Relationship Id="rId1" ` +
        `Type="${REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    ],
    [
      'xl/styles.xml',
      `${XML_DECL}<styleSheet xmlns="${MAIN_NS}"><fonts count="1"><font><sz val="11"/>` +
        '<name val="Calibri"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/>' +
        '</fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf/>' +
        '</cellStyleXfs><cellXfs count="1"><xf xfId="0"/></cellXfs></styleSheet>',
    ],
  ];
}

/** The parts that list the sheets, written last when their number is known. */
function workbookParts(sheets: number): [string, string][] {
  const ids = Array.from({ length: sheets }, (_, i) => i + 1);
  const sheetName = (i: number): string => (i === 1 ? 'records' : `records ${i}`);
  return [
    [
      '[Content_Types].xml',
      `${XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
        ids
          .map(
            (i) =>
              `<Override PartName="/xl/worksheets/sheet${i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`,
          )
          .join('') +
        '</Types>',
    ],
    [
      'xl/workbook.xml',
      `${XML_DECL}<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheets>` +
        ids.map((i) => `<sheet name="${sheetName(i)}" sheetId="${i}" r:id="rId${i}"/>`).join('') +
        '</sheets></workbook>',
    ],
    [
      'xl/_rels/workbook.xml.rels',
      `${XML_DECL}<Relationships xmlns="${PKG_REL_NS}">` +
        ids
          .map(
            (i) =>
              `<Relationship Id="rId${i}" Type="${REL_NS}/worksheet" Target="worksheets/sheet${i}.xml"/>`,
          )
          .join('') +
        `<Relationship Id="rId${sheets + 1}" Type="${REL_NS}/styles" Target="styles.xml"/>` +
        '</Relationships>',
    ],
  ];
}
