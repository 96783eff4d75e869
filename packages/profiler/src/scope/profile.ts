import { InvalidArgumentError } from '@stratum/core';
import { withQuerySink } from '../capture/instrument.js';
import type { QueryEvent } from '../capture/query-event.js';
import type { NPlusOneFinding, NPlusOneOptions } from '../n-plus-one/detect-n-plus-one.js';
import { NPlusOneError } from '../n-plus-one/n-plus-one-error.js';
import { ProfileReport } from './profile-report.js';

/** What a scope does with the N+1 queries it finds: nothing, report them, or fail. */
export type NPlusOneMode = 'off' | 'warn' | 'throw';

/** N+1 settings of a scope: the detector's options plus what to do with findings. */
export interface NPlusOneScopeOptions extends NPlusOneOptions {
  /** @default the value set with `configureNPlusOne`, else `'off'` */
  mode?: NPlusOneMode;
  /** Where `'warn'` reports a finding. @default console.warn */
  warn?: (finding: NPlusOneFinding) => void;
}

/** Options of {@link profile}. */
export interface ProfileOptions {
  nPlusOne?: NPlusOneScopeOptions;
}

let defaults: NPlusOneScopeOptions = { mode: 'off' };

/**
 * Sets the N+1 settings every `profile()` scope starts from — e.g. `'throw'` in a test setup file so
 * that any profiled code with an N+1 fails its test. Returns the previous settings.
 *
 * @example
 * ```ts
 * configureNPlusOne({ mode: 'throw', threshold: 3, allow: [/legacy-reports\.ts/] });
 * ```
 */
export function configureNPlusOne(options: NPlusOneScopeOptions): NPlusOneScopeOptions {
  assertMode(options.mode);
  const previous = defaults;
  defaults = { ...options };
  return previous;
}

/**
 * Runs `fn` and reports every query it sent through an instrumented ORM (see `instrument`),
 * including the queries of everything it awaited. Scopes nest: an outer scope also sees the
 * queries of the scopes inside it. If `fn` throws, the error propagates unchanged. With
 * `nPlusOne.mode` `'warn'` or `'throw'`, the N+1 queries found are reported or fail the scope
 * (`NPlusOneError`, code `E_N_PLUS_ONE`).
 *
 * @example
 * ```ts
 * instrument(orm);
 * const report = await profile(async () => {
 *   const albums = await em.find(Album, {}, { limit: 10 });
 *   for (const album of albums) await album.tracks.init(); // N+1
 * });
 * report.count;            // 11
 * report.nPlusOne()[0];    // { count: 10, relation: 'Album.tracks', ... }
 * console.log(report.format());
 * ```
 */
export async function profile<T>(
  fn: () => T | Promise<T>,
  options: ProfileOptions = {},
): Promise<ProfileReport<Awaited<T>>> {
  const settings = { ...defaults, ...options.nPlusOne };
  assertMode(settings.mode);
  const events: QueryEvent[] = [];
  const result = await withQuerySink((event) => events.push(event), fn);
  const report = new ProfileReport(events, result as Awaited<T>);
  if (settings.mode === 'warn' || settings.mode === 'throw') {
    const findings = report.nPlusOne(settings);
    if (findings.length > 0 && settings.mode === 'throw') {
      throw new NPlusOneError(findings);
    }
    for (const finding of findings) {
      (settings.warn ?? ((f: NPlusOneFinding) => console.warn(`N+1: ${f.message}`)))(finding);
    }
  }
  return report;
}

function assertMode(mode: unknown): void {
  if (mode !== undefined && mode !== 'off' && mode !== 'warn' && mode !== 'throw') {
    throw new InvalidArgumentError('nPlusOne.mode', "'off', 'warn' or 'throw'", mode);
  }
}
