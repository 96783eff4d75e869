import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseSqlText,
  parseWorkload,
  readSqlFile,
  readWorkload,
  splitStatements,
  toDollarPlaceholders,
  WorkloadFileError,
  WorkloadVersionError,
} from '../src/index.js';

describe('workload input', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stratum-indexer-input-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("reads the profiler's version 1 file, converts MikroORM's ? placeholders and leaves transaction control out", async () => {
    const path = join(dir, 'w.json');
    await writeFile(
      path,
      JSON.stringify({
        version: 1,
        generatedAt: '2026-12-04T19:00:00.000Z',
        dialect: 'postgresql',
        queries: [
          { example: { sql: 'begin', params: [] }, calls: 9, kind: 'transaction' },
          {
            example: { sql: `select * from "a?" where x = ? and y in (?, ?) and z = '?'`, params: [1, 2, 3] },
            calls: 4,
          },
        ],
      }),
    );
    expect((await readWorkload(path)).statements).toEqual([
      {
        sql: `select * from "a?" where x = $1 and y in ($2, $3) and z = '?'`,
        params: [1, 2, 3],
        calls: 4,
        source: `${path}#1`,
      },
    ]);
  });

  it('refuses another workload version with a typed error, before reading anything else', () => {
    const error = (() => {
      try {
        parseWorkload({ version: 2, queries: 'whatever' }, 'w.json');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(WorkloadVersionError);
    expect(error).toMatchObject({ code: 'E_WORKLOAD_VERSION', version: 2 });
    expect((error as Error).message).toBe(
      "workload file w.json: this indexer reads workload version 1 (written by @stratum/profiler's writeWorkload), but got: 2.",
    );
  });

  it('a missing file, a file that is not JSON and a malformed query are WorkloadFileErrors that say which', async () => {
    await expect(readWorkload(join(dir, 'missing.json'))).rejects.toThrow(
      new WorkloadFileError(join(dir, 'missing.json'), 'cannot be read (ENOENT)'),
    );
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{ "version": 1, ');
    await expect(readWorkload(bad)).rejects.toMatchObject({ code: 'E_WORKLOAD_FILE', path: bad });
    expect(() =>
      parseWorkload({ version: 1, queries: [{ example: { sql: 'select 1', params: [] }, calls: 0 }] }),
    ).toThrow('workload (in memory): queries[0].calls must be a positive integer, got 0');
    expect(() => parseWorkload({ version: 1, queries: [{ example: { params: [] }, calls: 1 }] })).toThrow(
      'queries[0].example.sql is not a string',
    );
    await expect(readSqlFile(join(dir, 'missing.sql'))).rejects.toBeInstanceOf(WorkloadFileError);
  });

  it('splits a SQL file on the ; that end statements and counts "-- calls: N"', async () => {
    const path = join(dir, 'q.sql');
    await writeFile(path, `select ';' as a;\n-- calls: 25\nselect "x;y" from t where $$;$$ = '' /* ; */;\n\n`);
    const { statements } = await readSqlFile(path);
    expect(statements.map((s) => [s.sql, s.calls, s.source])).toEqual([
      ["select ';' as a", 1, `${path}:1`],
      [`select "x;y" from t where $$;$$ = ''`, 25, `${path}:2`],
    ]);
    expect(() => parseSqlText('-- calls: many\nselect 1', 'q.sql')).toThrow(
      'workload file q.sql: line 1: "-- calls:" must be a positive integer, got "many"',
    );
  });

  it('leaves ? inside literals, identifiers and comments alone; \\? is a literal question mark', () => {
    expect(toDollarPlaceholders(`select '?', "?", e'\\'?' -- ?\n, data \\? 'k' from t where a = ?`)).toEqual({
      sql: `select '?', "?", e'\\'?' -- ?\n, data ? 'k' from t where a = $1`,
      count: 1,
    });
    expect(splitStatements('  ;; -- only a comment\n ;').length).toBe(0);
  });
});
