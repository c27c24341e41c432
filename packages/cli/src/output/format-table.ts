import { visibleLength, type Style } from './style.js';

export interface Column {
  readonly header: string;
  /** Right-align (numbers). */
  readonly right?: boolean;
}

/**
 * Rows as an aligned table with a header line, columns two spaces apart.
 * Cells are single-line (newlines shown as `⏎`); an empty table prints the
 * header only.
 */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[], style: Style): string {
  const cells = rows.map((r) => r.map((c) => c.replace(/\r?\n/g, '⏎')));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => visibleLength(r[i] ?? ''))));
  const pad = (s: string, i: number): string => {
    const fill = ' '.repeat(Math.max(0, widths[i]! - visibleLength(s)));
    return columns[i]!.right ? fill + s : s + fill;
  };
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => pad(c, i))
      .join('  ')
      .trimEnd();
  return [style.bold(line(columns.map((c) => c.header))), ...cells.map(line)].join('\n') + '\n';
}
