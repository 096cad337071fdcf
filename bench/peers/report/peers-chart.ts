/**
 * The peer benchmark as an SVG chart, drawn by hand (no chart library): one panel per
 * site, a bar per system for its median pages/s delivered with a min–max whisker, a hollow
 * bar behind it for the pages/s the server answered when the system delivered fewer than
 * it fetched, and the two ceilings as vertical dashed lines.
 */
import { summarizeSystem } from './peers-report.js';
import type { PeersReport, SiteResult } from './peers-report.js';

const WIDTH = 960;
const LABEL_W = 330;
const PLOT_W = WIDTH - LABEL_W - 90;
const BAR_H = 18;
const ROW_H = 28;
const COLORS = { trawl: '#1f6feb', peer: '#8b949e', incomplete: '#d29922' };
const CEILING_COLORS = ['#cf222e', '#8250df'];

export function peersChartSvg(report: PeersReport): string {
  const parts: string[] = [];
  let y = 20;
  parts.push(
    text(
      12,
      y,
      `Pages per second delivered — ${report.machine.cores} cores, ${report.date.slice(0, 10)}`,
      {
        size: 16,
        weight: 'bold',
      },
    ),
  );
  y += 14;
  for (const site of report.sites.filter((x) => x.describe.skipped === undefined)) {
    const panel = sitePanel(site, y + 16);
    parts.push(panel.svg);
    y = panel.bottom + 10;
  }
  y += 4;
  parts.push(legend(y));
  const height = y + 24;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" ` +
    `viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">\n` +
    `<rect width="100%" height="100%" fill="#ffffff"/>\n${parts.join('\n')}\n</svg>\n`
  );
}

function sitePanel(site: SiteResult, top: number): { svg: string; bottom: number } {
  const rows = site.systems
    .filter((s) => s.kind !== 'ceiling' && s.skipped === null && s.rounds.length > 0)
    .map((s) => ({ s, sum: summarizeSystem(s) }));
  const ceilings = site.systems
    .filter((s) => s.kind === 'ceiling' && s.rounds.length > 0)
    .map((s) => ({ label: s.label.replace(/^Ceiling: /, ''), sum: summarizeSystem(s) }));
  const values = [
    ...rows.flatMap(({ sum }) => [sum.pagesPerSecond?.max ?? 0, sum.fetchedPerSecond?.max ?? 0]),
    ...ceilings.map(({ sum }) => sum.pagesPerSecond?.median ?? 0),
  ];
  const max = niceMax(Math.max(1, ...values));
  const x = (v: number): number => LABEL_W + (v / max) * PLOT_W;
  const title =
    site.describe.kind === 'real'
      ? `Real site: ${String(site.describe.debianPackage)}, ${site.expectedPages.toLocaleString('en-US')} pages, nginx`
      : `Synthetic site: ${site.expectedPages.toLocaleString('en-US')} pages, node:http`;
  const out: string[] = [text(12, top, title, { size: 14, weight: 'bold' })];
  const plotTop = top + 12;
  const plotBottom = plotTop + Math.max(1, rows.length) * ROW_H + 4;

  // Grid and axis.
  for (let i = 0; i <= 5; i++) {
    const v = (max * i) / 5;
    out.push(
      `<line x1="${x(v)}" y1="${plotTop}" x2="${x(v)}" y2="${plotBottom}" stroke="#d0d7de" stroke-width="1"/>`,
      text(x(v), plotBottom + 14, Math.round(v).toLocaleString('en-US'), {
        size: 11,
        anchor: 'middle',
      }),
    );
  }
  out.push(text(LABEL_W + PLOT_W / 2, plotBottom + 28, 'pages/s', { size: 11, anchor: 'middle' }));
  rows.forEach(({ s, sum }, i) => {
    const cy = plotTop + i * ROW_H + ROW_H / 2;
    const pps = sum.pagesPerSecond;
    const fetched = sum.fetchedPerSecond?.median ?? 0;
    const color = !sum.complete
      ? COLORS.incomplete
      : s.kind === 'trawl'
        ? COLORS.trawl
        : COLORS.peer;
    out.push(text(LABEL_W - 8, cy + 4, s.label, { size: 12, anchor: 'end' }));
    if (pps && fetched > pps.median * 1.005) {
      out.push(
        `<rect x="${LABEL_W}" y="${cy - BAR_H / 2}" width="${x(fetched) - LABEL_W}" height="${BAR_H}" ` +
          `fill="none" stroke="${color}" stroke-dasharray="3 2"/>`,
      );
    }
    if (pps) {
      out.push(
        `<rect x="${LABEL_W}" y="${cy - BAR_H / 2}" width="${Math.max(1, x(pps.median) - LABEL_W)}" ` +
          `height="${BAR_H}" fill="${color}"/>`,
        `<line x1="${x(pps.min)}" y1="${cy}" x2="${x(pps.max)}" y2="${cy}" stroke="#24292f" stroke-width="1.5"/>`,
        `<line x1="${x(pps.min)}" y1="${cy - 5}" x2="${x(pps.min)}" y2="${cy + 5}" stroke="#24292f"/>`,
        `<line x1="${x(pps.max)}" y1="${cy - 5}" x2="${x(pps.max)}" y2="${cy + 5}" stroke="#24292f"/>`,
      );
      const pct =
        site.expectedPages > 0 ? (100 * (sum.delivered?.median ?? 0)) / site.expectedPages : 0;
      const note = sum.complete ? '' : ` (${pct.toFixed(1)}% delivered)`;
      out.push(
        text(
          Math.max(x(pps.max), x(fetched)) + 6,
          cy + 4,
          Math.round(pps.median).toLocaleString('en-US') + note,
          {
            size: 11,
          },
        ),
      );
    }
  });
  ceilings.forEach(({ label, sum }, i) => {
    const v = sum.pagesPerSecond?.median;
    if (v === undefined) return;
    const color = CEILING_COLORS[i % CEILING_COLORS.length] as string;
    out.push(
      `<line x1="${x(v)}" y1="${plotTop - 4}" x2="${x(v)}" y2="${plotBottom}" stroke="${color}" ` +
        `stroke-width="2" stroke-dasharray="6 4"/>`,
      text(
        x(v) - 4,
        plotBottom + 42 + i * 14,
        `${label}: ${Math.round(v).toLocaleString('en-US')}`,
        {
          size: 11,
          anchor: 'end',
          fill: color,
        },
      ),
    );
  });
  return { svg: out.join('\n'), bottom: plotBottom + 42 + ceilings.length * 14 };
}

function legend(y: number): string {
  const items: [string, string, boolean][] = [
    [COLORS.trawl, 'Trawl', false],
    [COLORS.peer, 'peer, every page delivered', false],
    [COLORS.incomplete, 'pages missing (dashed: pages/s the server answered)', false],
  ];
  let x = 12;
  const out: string[] = [];
  for (const [color, label] of items) {
    out.push(`<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${color}"/>`);
    out.push(text(x + 16, y, label, { size: 11 }));
    x += 24 + label.length * 6.2;
  }
  out.push(text(x, y, 'whiskers: min–max over rounds; dashed lines: ceilings', { size: 11 }));
  return out.join('\n');
}

function niceMax(v: number): number {
  const exp = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * exp >= v * 1.05) return m * exp;
  return 10 * exp;
}

function text(
  x: number,
  y: number,
  s: string,
  o: { size: number; weight?: string; anchor?: string; fill?: string },
): string {
  return (
    `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-size="${o.size}"` +
    (o.weight ? ` font-weight="${o.weight}"` : '') +
    (o.anchor ? ` text-anchor="${o.anchor}"` : '') +
    ` fill="${o.fill ?? '#24292f'}">${escapeXml(s)}</text>`
  );
}

function escapeXml(s: string): string {
  return s.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string,
  );
}
