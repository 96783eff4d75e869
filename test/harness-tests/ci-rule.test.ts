// The CI rule seen from outside: a separate vitest runs fixtures/needs-services.fixture.ts with both
// services pointed at a dead port. Outside CI their suites are skipped (exit 0, reason printed); with
// CI=true they fail with the reason (exit 1). Both with the global setup and with the in-process fallback.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const DEAD_PG = 'postgres://postgres@127.0.0.1:1/test';
const DEAD_REDIS = 'redis://127.0.0.1:1';

interface Assertion {
  title: string;
  ancestorTitles: string[];
  status: string;
  failureMessages: string[];
}

interface FixtureRun {
  code: number | null;
  output: string;
  tests: Assertion[];
}

interface FixtureOptions {
  ci: boolean;
  globalSetup: boolean;
  /** Point both services at a dead port (default); false keeps this process's services. */
  dead?: boolean;
}

async function runFixture({ ci, globalSetup, dead = true }: FixtureOptions): Promise<FixtureRun> {
  const dir = await mkdtemp(join(tmpdir(), 'stratum-ci-rule-'));
  const report = join(dir, 'report.json');
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('VITEST') && key !== 'TEST' && key !== 'NODE_ENV') env[key] = value;
  }
  Object.assign(env, {
    CI: ci ? 'true' : '',
    STRATUM_FIXTURE_GLOBAL_SETUP: globalSetup ? '1' : '0',
    NO_COLOR: '1',
  });
  if (dead) Object.assign(env, { STRATUM_PG_URL: DEAD_PG, STRATUM_REDIS_URL: DEAD_REDIS });
  const args = [
    join(root, 'node_modules/vitest/vitest.mjs'),
    'run',
    '--config',
    'test/harness-tests/fixtures/vitest.config.ts',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
  ];
  try {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      child.once('error', reject);
      child.once('close', (exitCode) => resolve({ code: exitCode, output: text }));
    });
    const json = JSON.parse(await readFile(report, 'utf8')) as { testResults: { assertionResults: Assertion[] }[] };
    return { code, output, tests: json.testResults.flatMap((file) => file.assertionResults) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function status(run: FixtureRun, title: string, ancestor: string): string[] {
  return run.tests.filter((t) => t.title === title && t.ancestorTitles.includes(ancestor)).map((t) => t.status);
}

describe.each([
  { setup: 'with the global setup', globalSetup: true },
  { setup: 'without a global setup (in-process fallback)', globalSetup: false },
])('CI rule, end to end, $setup', ({ globalSetup }) => {
  it('outside CI: skips the suites that need a missing service and says why', async () => {
    const run = await runFixture({ ci: false, globalSetup });
    expect(run.code, run.output).toBe(0);
    expect(status(run, 'pg test', 'needs postgres')).toEqual(['skipped']);
    expect(status(run, 'redis test', 'needs redis')).toEqual(['skipped']);
    expect(status(run, 'driver test', 'sqlite')).toEqual(['passed']);
    expect(status(run, 'driver test', 'postgresql')).toEqual(['skipped']);
    expect(run.tests.filter((t) => t.status === 'failed')).toEqual([]);
    expect(run.output).toMatch(/PostgreSQL unavailable.*STRATUM_PG_URL=postgres:\/\/postgres@127\.0\.0\.1:1\/test/);
    expect(run.output).toMatch(/Redis unavailable.*STRATUM_REDIS_URL=redis:\/\/127\.0\.0\.1:1/);
  });

  it('in CI: fails them, with the reason', async () => {
    const run = await runFixture({ ci: true, globalSetup });
    expect(run.code, run.output).toBe(1);
    const failed = run.tests.filter((t) => t.status === 'failed');
    expect(failed.map((t) => t.title).sort()).toEqual([
      'needs postgres [requires PostgreSQL]',
      'needs redis [requires Redis]',
      'postgresql [requires PostgreSQL]',
    ]);
    for (const test of failed) {
      expect(test.failureMessages.join('\n')).toMatch(
        /is required but unavailable: STRATUM_(PG|REDIS)_URL=.*ECONNREFUSED/,
      );
    }
    expect(status(run, 'driver test', 'sqlite')).toEqual(['passed']);
    expect(run.tests.filter((t) => t.status === 'passed')).toHaveLength(1);
  });
});

describe('CI rule, end to end, services present', () => {
  it('runs everything, also through the in-process fallback', async () => {
    const run = await runFixture({ ci: true, globalSetup: false, dead: false });
    expect(run.code, run.output).toBe(0);
    expect(run.tests.map((t) => `${t.ancestorTitles.join(' > ')} > ${t.title}: ${t.status}`).sort()).toEqual([
      'each driver > postgresql > driver test: passed',
      'each driver > sqlite > driver test: passed',
      'needs postgres > pg test: passed',
      'needs redis > redis test: passed',
    ]);
  });
});
