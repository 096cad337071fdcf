/** Rendering a collected HTML table: a GFM pipe table, or its cells as blocks for layout tables. */

/** One row of cells as rendered (block Markdown, possibly multi-line). */
export interface TableRow {
  cells: string[];
  /** Every cell was a `<th>`. */
  header: boolean;
}

/**
 * A GFM table of `rows`; cell text on one line, `|` escaped. A table of one column, or
 * one marked `role=presentation`, is layout: its cells come back as blocks instead.
 * In text mode (`markup` false) rows are tab-separated lines.
 */
export function renderTable(rows: TableRow[], layout: boolean, markup: boolean): string {
  const cols = rows.reduce((n, r) => Math.max(n, r.cells.length), 0);
  if (cols === 0) return '';
  if (layout || cols === 1) {
    const blocks = rows.flatMap((r) => r.cells).filter((c) => c !== '');
    return `\n\n${blocks.join('\n\n')}\n\n`;
  }
  const flat = rows.map((r) => {
    const cells = r.cells.map((c) => oneLine(c, markup));
    while (cells.length < cols) cells.push('');
    return cells;
  });
  if (!markup) return `\n\n${flat.map((r) => r.join('\t')).join('\n')}\n\n`;
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  // GFM needs a header row: a table whose first row is not all <th> gets an empty one.
  const hasHeader = rows[0]?.header === true;
  const head = hasHeader ? (flat[0] as string[]) : new Array<string>(cols).fill('');
  const out = [line(head), line(new Array<string>(cols).fill('---'))];
  for (let i = hasHeader ? 1 : 0; i < flat.length; i++) out.push(line(flat[i] as string[]));
  return `\n\n${out.join('\n')}\n\n`;
}

function oneLine(cell: string, markup: boolean): string {
  const s = cell
    .replace(/\\\n/g, ' ')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
  return markup ? s.replace(/\|/g, '\\|') : s;
}
