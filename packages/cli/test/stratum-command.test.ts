// The `stratum` command as a user runs it: a child process, its exit code, stdout and stderr, on
// real SQLite files and the repository's own mikro-orm.config.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { runStratum as stratum } from './support/run-stratum.js';

const dir = mkdtempSync(join(tmpdir(), 'stratum-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sqliteFile(name: string, journalMode: 'wal' | 'delete'): string {
  const file = join(dir, name);
  const db = new Database(file);
  db.pragma(`journal_mode = ${journalMode}`);
  db.exec('create table t (id integer primary key, name text); insert into t (name) values (1), (2);');
  db.close();
  return file;
}

describe('stratum', () => {
  it('prints its version and its help, and exits 0', async () => {
    const version = await stratum(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    const help = await stratum(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/sqlite\s+SQLite files/);
    const sub = await stratum(['sqlite', 'check', '--help']);
    expect(sub.stdout).toMatch(/--preset <name>/);
    expect(sub.stdout).toMatch(/--json/);
  });

  it('exits 2 with the reason on stderr for an unknown command or option', async () => {
    const unknown = await stratum(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
    const option = await stratum(['sqlite', 'check', '--nope']);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/unknown option '--nope'/);
  });

  it('sqlite check: a WAL file exits 0, its report in JSON says so', async () => {
    const file = sqliteFile('wal.sqlite', 'wal');
    const { code, stdout } = await stratum(['sqlite', 'check', file, '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.file).toBe(file);
    expect(report.inspection.pragmas.journal_mode).toBe('wal');
    expect(report.findings).toEqual([]);
    expect(report.inspection.pageCount).toBeGreaterThan(0);
  });

  it('sqlite check: a rollback-journal file exits 1 and names journal_mode with its reason', async () => {
    const file = sqliteFile('delete.sqlite', 'delete');
    const { code, stdout } = await stratum(['sqlite', 'check', file]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/journal_mode\s+delete\s+wal\s+FIX/);
    expect(stdout).toMatch(/1 setting\(s\) stored in the file differ from the preset/);
  });

  it('sqlite check: a missing file and an unknown preset exit 2 with a clear message', async () => {
    const missing = await stratum(['sqlite', 'check', join(dir, 'nope.sqlite')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/No SQLite file at .*nope\.sqlite/);
    const preset = await stratum(['sqlite', 'check', sqliteFile('p.sqlite', 'wal'), '--preset', 'turbo']);
    expect(preset.code).toBe(2);
    expect(preset.stderr).toMatch(/Unknown preset "turbo": expected one of default, durable, fast, readOnly/);
  });

  it("sqlite check without a file reads the app's mikro-orm.config.ts as MikroORM's CLI does", async () => {
    const file = sqliteFile('app.sqlite', 'wal');
    const { code, stdout, stderr } = await stratum(['sqlite', 'check', '--config', 'mikro-orm.config.ts', '--json'], {
      STRATUM_SQLITE_PATH: file,
      STRATUM_PG_URL: '',
    });
    expect(stderr).not.toMatch(/Error/);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).file).toBe(file);
  });

  it('sqlite check on a config that is not SQLite exits 2 and says to pass the file', async () => {
    const { code, stderr } = await stratum(['sqlite', 'check', '--config', 'mikro-orm.config.ts'], {
      STRATUM_PG_URL: 'postgres://postgres@127.0.0.1:5432/test',
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/does not use SQLite .*pass the file to check/);
  });
});
