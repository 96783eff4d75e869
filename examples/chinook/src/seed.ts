// Seeds the Chinook example database configured by the root mikro-orm.config.ts.
//
//   pnpm seed [--scale N] [--fresh | --no-fresh] [--chunk-size N]
//
// --scale N      multiply customers, invoices and invoice lines by N (default 1)
// --fresh        drop and recreate the schema first (default); --no-fresh or --fresh=false seeds as is
// --chunk-size N rows per INSERT statement (default: the repository's)
//
// SQLite on .data/chinook.sqlite unless STRATUM_PG_URL is set (then PostgreSQL).
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { MikroORM, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { AbstractSqlDriver } from '@mikro-orm/sql';
import { formatPragmas, sqliteTuningReport } from '@stratum/sqlite';
import config from '../../../mikro-orm.config.js';
import { seedChinook } from './seeder.js';

const USAGE = 'usage: pnpm seed [--scale N] [--fresh | --no-fresh] [--chunk-size N]';

/** A command-line mistake: reported as a message and the usage line, without a stack trace. */
class UsageError extends Error {}

function positiveInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`--${name} must be a positive integer, got "${value}"`);
  }
  return n;
}

function booleanFlag(name: string, value: string | boolean | undefined, fallback: boolean): boolean {
  if (value === undefined || typeof value === 'boolean') {
    return value ?? fallback;
  }
  if (['true', '1', 'yes', ''].includes(value.toLowerCase())) {
    return true;
  }
  if (['false', '0', 'no'].includes(value.toLowerCase())) {
    return false;
  }
  throw new UsageError(`--${name} must be true or false, got "${value}"`);
}

async function main(argv: string[]): Promise<void> {
  // `--fresh=false` is accepted besides `--no-fresh`, so --fresh is read as a string option.
  const normalized = argv.filter((arg) => arg !== '--').map((arg) => (arg === '--fresh' ? '--fresh=true' : arg));
  let values: { scale?: string; fresh?: string; 'no-fresh'?: boolean; 'chunk-size'?: string };
  try {
    ({ values } = parseArgs({
      args: normalized,
      options: {
        scale: { type: 'string' },
        fresh: { type: 'string' },
        'no-fresh': { type: 'boolean' },
        'chunk-size': { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const scale = positiveInteger('scale', values.scale) ?? 1;
  const chunkSize = positiveInteger('chunk-size', values['chunk-size']);
  const fresh = values['no-fresh'] ? false : booleanFlag('fresh', values.fresh, true);

  const orm = await MikroORM.init<AbstractSqlDriver>(config);
  try {
    // Never print a password that may be part of the connection URL.
    const target = (orm.config.get('clientUrl') || orm.config.get('dbName') || '').replace(
      /\/\/([^:/@]+):[^@]*@/,
      '//$1:***@',
    );
    console.log(`Seeding Chinook ×${scale} into ${orm.config.getDriver().constructor.name} ${target}`);
    const started = performance.now();
    if (fresh) {
      await orm.schema.refresh();
    }
    const schemaMs = performance.now() - started;
    const counts = await seedChinook(orm.em.fork(), { scale, chunkSize }).catch((error: unknown) => {
      if (!fresh && error instanceof UniqueConstraintViolationException) {
        console.error('The database already holds rows with these ids: seed it with --fresh (the default).');
      }
      throw error;
    });
    const totalMs = performance.now() - started;
    // The example config tunes SQLite with @stratum/sqlite's default preset; show what was applied.
    const tuning = sqliteTuningReport(orm);
    if (tuning) console.log(`SQLite pragmas: ${formatPragmas(tuning)}`);

    const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
    console.table(counts);
    console.log(
      `${total} rows in ${(totalMs / 1000).toFixed(2)} s` +
        (fresh ? ` (schema refresh ${(schemaMs / 1000).toFixed(2)} s)` : ''),
    );
  } finally {
    await orm.close(true);
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n${USAGE}`);
    } else {
      console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    }
    process.exit(1);
  },
);
