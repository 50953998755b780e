export interface ComparisonRow {
  figure: string;
  /** Which way is good, so a reader of the ratio knows whether above 1 is a win. */
  better: 'higher' | 'lower';
  relay: number;
  baseline: string;
  baselineValue: number;
  /** relay / baseline */
  ratio: number;
  digits: number;
}

export function row(
  figure: string,
  better: ComparisonRow['better'],
  digits: number,
  relay: number | undefined,
  baseline: string,
  baselineValue: number | undefined,
): ComparisonRow {
  const r = relay ?? Number.NaN;
  const b = baselineValue ?? Number.NaN;
  return { figure, better, relay: r, baseline, baselineValue: b, ratio: r / b, digits };
}

function format(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

function cells(row: ComparisonRow): string[] {
  return [
    `${row.figure} (${row.better === 'higher' ? '↑' : '↓'})`,
    format(row.relay, row.digits),
    row.baseline,
    format(row.baselineValue, row.digits),
    Number.isFinite(row.ratio) ? `${row.ratio.toFixed(2)}×` : 'n/a',
  ];
}

const HEADER = ['figure (↑ higher is better, ↓ lower)', 'relay', 'baseline', 'baseline value', 'relay ÷ baseline'];

export function textTable(rows: ComparisonRow[]): string {
  const table = [HEADER, ...rows.map(cells)];
  const widths = HEADER.map((_, column) => Math.max(...table.map((line) => [...line[column]!].length)));
  const numeric = [false, true, false, true, true];
  const render = (line: string[]) =>
    line
      .map((cell, column) => {
        const pad = ' '.repeat(widths[column]! - [...cell].length);
        return numeric[column] ? pad + cell : cell + pad;
      })
      .join('  ');
  return [render(table[0]!), widths.map((width) => '-'.repeat(width)).join('  '), ...table.slice(1).map(render)].join('\n');
}

export function markdownTable(rows: ComparisonRow[]): string {
  const line = (parts: string[]) => `| ${parts.join(' | ')} |`;
  return [line(HEADER), line(['---', '---:', '---', '---:', '---:']), ...rows.map((r) => line(cells(r)))].join('\n');
}
