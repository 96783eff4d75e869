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

  it('writes one plain progress line per step when the stream is not a terminal (CI logs, pipes)', () => {
    const lines: string[] = [];
    const progress = createProgress({ write: (text: string) => lines.push(text), isTTY: false });
    progress.start(2, 'analysing');
    progress.tick('select * from track');
    progress.tick();
    progress.stop();
    expect(lines).toEqual(['[1/2] analysing select * from track\n', '[2/2] analysing\n']);
  });

  it('draws a bar on a terminal', () => {
    let drawn = '';
    const stream = {
      write: (text: string) => {
        drawn += text;
        return true;
      },
      isTTY: true,
      columns: 80,
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
      on: () => stream,
      removeListener: () => stream,
    };
    const progress = createProgress(stream);
    progress.start(4, 'analysing');
    progress.tick('q1');
    progress.stop();
    expect(drawn).toMatch(/analysing \[.*\] \d\/4/);
  });
});
