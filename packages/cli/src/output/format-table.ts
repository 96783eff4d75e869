/**
 * A plain-text table: one header row, columns padded to their widest cell, two spaces apart.
 *
 * @example
 * ```ts
 * formatTable(['pragma', 'value'], [['journal_mode', 'wal']]);
 * // pragma        value
 * // journal_mode  wal
 * ```
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
