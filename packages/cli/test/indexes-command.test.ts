// `stratum indexes suggest | generate | lint` as a user runs them: child processes against a real
// PostgreSQL database, a workload file written as the profiler writes it; exit codes, --json,
// progress lines on stderr, and the bad-input cases (exit 2 with the reason).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPostgres, usePostgresDatabase } from '../../../test/harness/index.js';
import { ROOT, STRATUM_FROM_SOURCE, runStratum as stratum } from './support/run-stratum.js';

const dir = mkdtempSync(join(tmpdir(), 'stratum-indexes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A workload file as `writeWorkload` writes it (version 1, MikroORM's `?` templates). */
function workloadFile(name: string, queries: [sql: string, params: unknown[], calls: number][], version = 1): string {
  const file = join(dir, name);
  const body = {
    version,
    generatedAt: '2026-12-04T19:00:00.000Z',
    dialect: 'postgresql',
    queries: queries.map(([sql, params, calls]) => ({
      fingerprint: String(calls),
      normalized: sql,
      example: { sql, params },
      kind: sql.startsWith('select') ? 'select' : 'insert',
      tables: [],
      calls,
      totalMs: calls,
      meanMs: 1,
    })),
  };
  writeFileSync(file, JSON.stringify(body));
  return file;
}

describeWithPostgres('stratum indexes', () => {
  const db = usePostgresDatabase();
  let lookups: string;

  beforeAll(async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(`
      create extension if not exists hypopg;
      create table member (id serial primary key, email text not null, city text not null);
      insert into member (email, city) select 'm' || g || '@example.com', 'city ' || (g % 300) from generate_series(1, 30000) g;
      create table visit (id serial primary key, member_id int not null references member (id), at timestamptz not null);
      insert into visit (member_id, at) select 1 + g % 30000, now() - g * interval '1 minute' from generate_series(1, 60000) g;
      create index visit_at_a on visit (at);
      create index visit_at_b on visit (at);
      analyze;
    `);
    await client.end();
    lookups = workloadFile('lookups.json', [['select * from member where email = ?', ['m42@example.com'], 200]]);
  });

  it('suggest --json: an index on the column the workload looks up, with the queries it serves; progress on stderr', async () => {
    const { code, stdout, stderr } = await stratum([
      'indexes',
      'suggest',
      '--workload',
      lookups,
      '--db',
      db.url,
      '--json',
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.evaluation).toBe('hypopg');
    expect(report.suggestions).toHaveLength(1);
    expect(report.suggestions[0]).toMatchObject({ table: 'member', queries: [{ calls: 200 }] });
    expect(report.suggestions[0].sql).toMatch(/create index concurrently .*on "public"\."member" \("email"\)/i);
    expect(report.totalCostAfter).toBeLessThan(report.totalCostBefore / 10);
    expect(stderr).toMatch(/^\[1\/\d+\] evaluating \(baseline\)/m); // not a TTY: plain lines
  });

  it('suggest on a terminal: a progress bar (cli-progress), not lines', async () => {
    // A real pseudo-terminal: util-linux `script` runs the command with its stdio on a pty.
    const command = [...STRATUM_FROM_SOURCE]
      .concat(['indexes', 'suggest', '--workload', lookups, '--db', db.url])
      .map((arg) => `'${arg.replaceAll("'", "'\\''")}'`)
      .join(' ');
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) =>
      execFile('script', ['-qec', command, '/dev/null'], { cwd: ROOT, timeout: 120_000 }, (error, out) =>
        error ? reject(error) : resolve({ stdout: out }),
      ),
    );
    expect(stdout).toMatch(/evaluating \(baseline\) \[[█░]+\] \d+\/\d+/);
    expect(stdout).not.toMatch(/^\[1\/\d+\] evaluating/m);
    expect(stdout).toMatch(/1 index\(es\) for/);
  });

  it('suggest: a table for humans, exit 0', async () => {
    const { code, stdout } = await stratum(['indexes', 'suggest', '--workload', lookups, '--db', db.url]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/1 index\(es\) for .*lookups\.json \(evaluated with hypopg/);
    expect(stdout).toMatch(/member_email_\w+_idx\s+member/);
  });

  it('generate: writes the migration class once, and refuses to overwrite it', async () => {
    const out = join(dir, 'migrations');
    const args = [
      'indexes',
      'generate',
      '--workload',
      lookups,
      '--db',
      db.url,
      '--out',
      out,
      '--class-name',
      'Migration20261204000000',
      '--json',
    ];
    const first = await stratum(args);
    expect(first.code).toBe(0);
    const { file } = JSON.parse(first.stdout);
    expect(file).toBe(join(out, 'Migration20261204000000.ts'));
    const source = readFileSync(file, 'utf8');
    expect(source).toMatch(/export class Migration20261204000000 extends Migration/);
    expect(source).toMatch(/isTransactional\(\): boolean \{\s+return false;/);
    const again = await stratum(args);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists already/);
  });

  it('lint: exit 1 for a duplicate index, with the SQL that fixes it', async () => {
    const { code, stdout } = await stratum(['indexes', 'lint', '--db', db.url, '--json']);
    expect(code).toBe(1);
    const { findings } = JSON.parse(stdout);
    const duplicate = findings.find((f: { kind: string }) => f.kind === 'duplicate-index');
    expect(duplicate).toMatchObject({ table: 'visit' });
    expect(duplicate.fix).toMatch(/drop index/i);
  });

  it('exits 2 with the reason for a missing workload, another version, an unknown table, an unreachable database', async () => {
    const missing = await stratum(['indexes', 'suggest', '--workload', join(dir, 'nope.json'), '--db', db.url]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/stratum: .*nope\.json/);
    const version = await stratum(['indexes', 'suggest', '--workload', workloadFile('v2.json', [], 2), '--db', db.url]);
    expect(version.code).toBe(2);
    expect(version.stderr).toMatch(/version/i);
    const table = await stratum([
      'indexes',
      'suggest',
      '--workload',
      workloadFile('ghost.json', [['select * from ghost where id = ?', [1], 5]]),
      '--db',
      db.url,
    ]);
    expect(table.code).toBe(2);
    expect(table.stderr).toMatch(/ghost/);
    const unreachable = await stratum([
      'indexes',
      'suggest',
      '--workload',
      lookups,
      '--db',
      'postgres://nobody@127.0.0.1:1/none',
    ]);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/127\.0\.0\.1:1/);
    const usage = await stratum(['indexes', 'suggest', '--db', db.url]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/required option '--workload <file>'/);
    expect(existsSync(join(dir, 'migrations', 'x.ts'))).toBe(false);
  });

  it("reads the database from the app's MikroORM config (PostgreSQL), as MikroORM's CLI does", async () => {
    const { code, stdout, stderr } = await stratum(['indexes', 'lint', '--config', 'mikro-orm.config.ts', '--json'], {
      STRATUM_PG_URL: db.url,
    });
    expect(stderr).not.toMatch(/Error/);
    expect(code).toBe(1);
    expect(JSON.parse(stdout).findings.some((f: { kind: string }) => f.kind === 'duplicate-index')).toBe(true);
  });
});
