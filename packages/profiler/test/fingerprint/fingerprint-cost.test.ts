import { expect, it } from 'vitest';
import { loadPostgresParser, type SqlDialect, SqlFingerprinter } from '../../src/fingerprint/fingerprint.js';
import { normalizeSql } from '../../src/fingerprint/sql-normalizer.js';

/**
 * The evidence behind fingerprint.ts's libpg-query decision: prints what each step costs on this machine.
 * No timing assertions (machines differ); read the figures in the test output.
 */

/** A MikroORM 7 select as PostgreSQL receives it (values inlined), ~200 characters. */
const SQL =
  'select "t0"."id", "t0"."name", "t0"."album_id" from "track" as "t0" left join "album" as "a1" on "t0"."album_id" = "a1"."id" where "t0"."id" in (1, 2, 3) order by "t0"."name" asc limit 10';

/** Microseconds per call of `fn(i)`, after a warm-up. */
function microsPerCall(fn: (i: number) => unknown, runs = 20_000): number {
  for (let i = 0; i < Math.min(runs, 5000); i++) fn(i);
  const start = performance.now();
  for (let i = 0; i < runs; i++) fn(i);
  return ((performance.now() - start) * 1000) / runs;
}

it('prints the cost of the tokenizer, the fingerprint cache and libpg-query', async () => {
  const figures: Record<string, number> = {};
  const loadStart = performance.now();
  await loadPostgresParser();
  figures['loadPostgresParser() (ms, once: import + WASM init)'] = performance.now() - loadStart;
  const { fingerprintSync, parseSync } = await import('libpg-query');

  figures.normalizeSql = microsPerCall(() => normalizeSql(SQL), 100_000);
  figures['libpg-query fingerprintSync'] = microsPerCall(() => fingerprintSync(SQL));
  figures['libpg-query parseSync'] = microsPerCall(() => parseSync(SQL));

  for (const dialect of ['sqlite', 'postgresql'] satisfies SqlDialect[]) {
    const fingerprinter = new SqlFingerprinter({ capacity: 50_000 });
    figures[`fingerprint ${dialect}: repeated SQL (cache hit)`] = microsPerCall(
      () => fingerprinter.fingerprint(SQL, dialect),
      200_000,
    );
    // A new literal each time: tokenizer + the normalized-text cache (no new parse).
    figures[`fingerprint ${dialect}: new literals, known query`] = microsPerCall(
      (i) => fingerprinter.fingerprint(SQL.replace('limit 10', `limit ${i + 1_000_000}`), dialect),
      40_000,
    );
    // A new query each time (new column name): tokenizer + tables + sha1 (+ parse for postgresql).
    const fresh = new SqlFingerprinter({ capacity: 50_000 });
    figures[`fingerprint ${dialect}: new query`] = microsPerCall(
      (i) => fresh.fingerprint(SQL.replace('"t0"."name" asc', `"t0"."c${i}" asc`), dialect),
      40_000,
    );
  }

  console.log(
    `Fingerprint costs for a ${SQL.length}-character query (µs per call unless noted):\n${Object.entries(figures)
      .map(([name, value]) => `  ${name.padEnd(52)} ${value.toFixed(2)}`)
      .join('\n')}`,
  );
  expect(Object.values(figures).every((value) => value > 0)).toBe(true);
});
