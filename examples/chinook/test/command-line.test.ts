import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { describeWithPostgres, removeSqliteFile, usePostgresDatabase } from '../../../test/harness/index.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const SQLITE_FILE = join(tmpdir(), `stratum-cli-${process.pid}.sqlite`);

/**
 * Runs TypeScript the way the package.json scripts do (Node 24, swc with decorator metadata, the
 * workspace source condition) in a child process, with its own environment.
 */
function runTs(args: string[], env: Record<string, string | undefined>) {
  const { STRATUM_PG_URL: _pg, STRATUM_SQLITE_PATH: _sqlite, ...inherited } = process.env;
  return spawnSync(
    process.execPath,
    ['--conditions=@stratum/source', '--import', '@swc-node/register/esm-register', ...args],
    {
      cwd: ROOT,
      env: { ...inherited, ...env },
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
}

afterAll(() => removeSqliteFile(SQLITE_FILE));

describe('the example from the command line', () => {
  it("works with MikroORM's own CLI, on SQLite by default", () => {
    const run = runTs(['node_modules/@mikro-orm/cli/cli.js', 'schema:create', '--dump'], {
      STRATUM_SQLITE_PATH: SQLITE_FILE,
    });
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('create table `invoice_line`');
    expect(run.stdout).toContain('create table `playlist_track`');
  });

  it('seeds a scaled copy with pnpm seed --scale', () => {
    const run = runTs(['examples/chinook/src/seed.ts', '--scale', '3'], { STRATUM_SQLITE_PATH: SQLITE_FILE });
    expect(run.status).toBe(0);
    // The example config's @stratum/sqlite default preset, as applied and read back.
    expect(run.stdout).toMatch(
      /SQLite pragmas: busy_timeout=5000 journal_mode=wal synchronous=normal foreign_keys=true /,
    );
    const db = new Database(SQLITE_FILE, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const count = (table: string) => (db.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
      expect([count('customer'), count('invoice'), count('invoice_line'), count('track')]).toEqual([
        59 * 3,
        412 * 3,
        2240 * 3,
        3503,
      ]);
    } finally {
      db.close();
    }
  });

  it('runs the demo on the tuned SQLite: applied pragmas in one line, the WAL size at the end', () => {
    const run = runTs(['examples/chinook/src/demo.ts'], { STRATUM_SQLITE_PATH: SQLITE_FILE });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(
      /\nSQLite pragmas: busy_timeout=5000 journal_mode=wal synchronous=normal .*mmap_size=134217728/,
    );
    expect(run.stdout).toMatch(/\nSQLite WAL file at the end: \d+ KiB\n/);
    expect(run.stdout).toContain('SQLite WAL file after close (TRUNCATE checkpoint): 0 KiB');
  });

  it('explains a bad --scale instead of crashing', () => {
    const run = runTs(['examples/chinook/src/seed.ts', '--scale', 'lots'], { STRATUM_SQLITE_PATH: SQLITE_FILE });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('--scale must be a positive integer, got "lots"');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describeWithPostgres('the example from the command line, on PostgreSQL', () => {
  const db = usePostgresDatabase();

  it('switches to PostgreSQL when STRATUM_PG_URL is set', () => {
    const run = runTs(['node_modules/@mikro-orm/cli/cli.js', 'schema:create', '--dump'], { STRATUM_PG_URL: db.url });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('create table "invoice_line"');
  });

  it('runs the demo on PostgreSQL', () => {
    const run = runTs(['examples/chinook/src/demo.ts'], { STRATUM_PG_URL: db.url });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Stratum demo on PostgreSQL');
    expect(run.stdout).toMatch(/inserted 50000 rows in \d+ ms/);
    expect(run.stdout).toContain('2240 lines, revenue 2328.60');
    expect(run.stdout).toMatch(
      /N\+1: 10 × "select .* from track .*" from examples\/chinook\/src\/demo\.ts:\d+:\d+ loads Album\.tracks one row at a time/,
    );
    expect(run.stdout).toContain("with populate: ['tracks']: 2 queries, 0 N+1");
    expect(run.stdout).toContain(
      "10 albums and their tracks with loaders(em).collection(Album, 'tracks'): 2 queries, 0 N+1",
    );
    expect(run.stdout).toContain(
      "100 albums and their tracks with loaders(em).collection(Album, 'tracks'): 2 queries, 0 N+1",
    );
  });
});
