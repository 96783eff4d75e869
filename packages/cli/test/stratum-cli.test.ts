import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithPostgres, usePostgresDatabase } from '../../../test/harness/index.js';
import { indexesSuggest } from '../src/index.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs `stratum <args>` as a child process, the way `pnpm` scripts run TypeScript in this repo. */
function stratum(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [
        '--conditions=@stratum/source',
        '--import',
        '@swc-node/register/esm-register',
        'packages/cli/src/cli.ts',
        ...args,
      ],
      { cwd: REPO, timeout: 60_000, env: { ...process.env, ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('stratum: usage', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stratum-cli-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('--help on every command, --version, exit 0', async () => {
    const root = await stratum(['--help']);
    expect(root).toMatchObject({ code: 0 });
    expect(root.stdout).toContain('indexes');
    for (const command of ['suggest', 'generate', 'lint']) {
      const help = await stratum(['indexes', command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: stratum indexes ${command} [options]`);
      expect(help.stdout).toContain('--db <url>');
    }
    expect(await stratum(['--version'])).toMatchObject({ code: 0, stdout: '0.1.0\n' });
  });

  it('bad usage, a missing or malformed workload, a bad version, an unreachable database: exit 2 and a clear message', async () => {
    const unknown = await stratum(['indexes', 'bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("error: unknown command 'bogus'");
    const noDb = await stratum(['indexes', 'suggest', '--workload', 'w.json']);
    expect(noDb).toMatchObject({ code: 2 });
    expect(noDb.stderr).toContain('stratum: --db <url> or --config <mikro-orm.config.ts> is required');
    const missing = await stratum([
      'indexes',
      'suggest',
      '--workload',
      join(dir, 'none.json'),
      '--db',
      'postgresql://x@127.0.0.1:1/x',
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`stratum: workload file ${join(dir, 'none.json')}: cannot be read (ENOENT)`);
    await writeFile(join(dir, 'bad.json'), '{"version": 1,');
    expect(
      (
        await stratum([
          'indexes',
          'suggest',
          '--workload',
          join(dir, 'bad.json'),
          '--db',
          'postgresql://x@127.0.0.1:1/x',
        ])
      ).code,
    ).toBe(2);
    await writeFile(join(dir, 'v2.json'), '{"version": 2, "queries": []}');
    const v2 = await stratum([
      'indexes',
      'suggest',
      '--workload',
      join(dir, 'v2.json'),
      '--db',
      'postgresql://x@127.0.0.1:1/x',
    ]);
    expect(v2.code).toBe(2);
    expect(v2.stderr).toContain('this indexer reads workload version 1');
    const sqlite = await stratum(['indexes', 'lint', '--config', 'mikro-orm.config.ts'], { STRATUM_PG_URL: '' });
    expect(sqlite.code).toBe(2);
    expect(sqlite.stderr).toContain(
      "stratum: --config mikro-orm.config.ts: the indexer reads PostgreSQL only for now, and this config's platform is SqlitePlatform",
    );
    const both = await stratum(['indexes', 'lint', '--config', 'mikro-orm.config.ts', '--db', 'postgresql://x@y/z']);
    expect(both).toMatchObject({ code: 2, stderr: 'stratum: --db and --config are alternatives: give one\n' });
    const down = await stratum(['indexes', 'lint', '--db', 'postgresql://postgres@127.0.0.1:1/none']);
    expect(down.code).toBe(2);
    expect(down.stderr).toContain(
      'stratum: cannot connect to postgresql://postgres@127.0.0.1:1/none: connect ECONNREFUSED',
    );
  });
});

describeWithPostgres('stratum indexes on PostgreSQL', () => {
  const db = usePostgresDatabase();
  let dir: string;
  let workloadPath: string;

  beforeAll(async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(`
      create extension if not exists hypopg;
      create table people (id int primary key, email text not null, boss_id int references people (id));
      insert into people select g, 'user' || g || '@example.com', null from generate_series(1, 30000) g;
      analyze;`);
    await client.end();
    dir = await mkdtemp(join(tmpdir(), 'stratum-cli-'));
    workloadPath = join(dir, 'workload.json');
    await writeFile(
      workloadPath,
      JSON.stringify({
        version: 1,
        queries: [
          { example: { sql: 'select * from "people" where "email" = ?', params: ['user5@example.com'] }, calls: 50 },
          { example: { sql: 'select * from "people" where', params: [] }, calls: 1 },
        ],
      }),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('suggest --json prints one JSON object of a stable shape; progress lines go to stderr', async () => {
    const run = await stratum(['indexes', 'suggest', '--workload', workloadPath, '--db', db.url, '--json']);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(Object.keys(out)).toEqual([
      'version',
      'evaluation',
      'elapsedMs',
      'totalCostBefore',
      'totalCostAfter',
      'suggestions',
      'unparsed',
    ]);
    expect(out.suggestions).toEqual([
      expect.objectContaining({
        table: 'people',
        sql: expect.stringMatching(
          /^create index concurrently if not exists "people_email_[0-9a-f]{8}_idx" on "public"\."people" \("email"\);$/,
        ),
        queries: [expect.objectContaining({ source: `${workloadPath}#0`, calls: 50 })],
      }),
    ]);
    expect(out.unparsed).toEqual([
      expect.objectContaining({ source: `${workloadPath}#1`, reason: 'syntax error at end of input' }),
    ]);
    expect(run.stderr).toContain('stratum: planned every query without new indexes\n');
    expect(run.stderr).toMatch(/stratum: round 1: evaluating \d+ candidates \(0 picked\)\n/);
    expect(run.stderr).toContain('stratum: done, 1 indexes picked\n');
  });

  it('the command is a function returning the same data (what the tests and the entry point share)', async () => {
    const out = await indexesSuggest({ workload: workloadPath, db: db.url });
    expect(out.suggestions.map((s) => s.table)).toEqual(['people']);
  });

  it('generate writes the migration file; a table of what it did without --json', async () => {
    const run = await stratum([
      'indexes',
      'generate',
      '--workload',
      workloadPath,
      '--db',
      db.url,
      '--out',
      join(dir, 'migrations'),
      '--class-name',
      'Migration20261204200000',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `wrote ${join(dir, 'migrations', 'Migration20261204200000.ts')} (1 index); apply it with MikroORM's Migrator and migrations: { allOrNothing: false }\n`,
    );
    const source = await readFile(join(dir, 'migrations', 'Migration20261204200000.ts'), 'utf8');
    expect(source).toContain('export class Migration20261204200000 extends Migration');
  });

  it("--config reads the app's MikroORM config the way MikroORM's CLI does (this repo's, on PostgreSQL)", async () => {
    const run = await stratum(['indexes', 'lint', '--config', 'mikro-orm.config.ts', '--json'], {
      STRATUM_PG_URL: db.url,
    });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).findings).toEqual([
      expect.objectContaining({ kind: 'fk-without-index', table: 'people' }),
    ]);
  });

  it('lint exits 1 with findings (a foreign key without an index), each with its fix', async () => {
    const run = await stratum(['indexes', 'lint', '--db', db.url, '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      version: 1,
      findings: [expect.objectContaining({ kind: 'fk-without-index', table: 'people', columns: ['boss_id'] })],
    });
    const text = await stratum(['indexes', 'lint', '--db', db.url]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('fk-without-index  people: foreign key people_boss_id_fkey');
    expect(text.stdout).toContain('  fix: create index concurrently if not exists "people_boss_id_fk_idx"');
  });
});
