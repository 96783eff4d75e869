import { describe, expect, it } from 'vitest';
import { formatTable } from '../src/output/format-table.js';
import { createProgress } from '../src/output/progress.js';

describe('output', () => {
  it('lines the columns of a table up, without trailing spaces', () => {
    expect(
      formatTable(
        ['pragma', 'value'],
        [
          ['journal_mode', 'wal'],
          ['synchronous', '1'],
        ],
      ),
    ).toBe('pragma        value\njournal_mode  wal\nsynchronous   1');
  });

  // The bar on a real terminal: indexes-command.test.ts runs `stratum` on a pseudo-terminal.
  it('writes one plain progress line per step when the stream is not a terminal (CI logs, pipes)', () => {
    const lines: string[] = [];
    const progress = createProgress({ write: (text: string) => lines.push(text), isTTY: false });
    progress.start(2, 'analysing');
    progress.tick('select * from track');
    progress.tick();
    progress.stop();
    expect(lines).toEqual(['[1/2] analysing select * from track\n', '[2/2] analysing\n']);
  });
});
