import { StratumError } from '@stratum/core';
import type { NPlusOneFinding } from './detect-n-plus-one.js';

/**
 * Thrown at the end of a `profile()` scope in `'throw'` mode when it found N+1 queries.
 *
 * @example
 * ```ts
 * await profile(() => listAlbumsWithTracks(), { nPlusOne: { mode: 'throw' } });
 * // NPlusOneError [E_N_PLUS_ONE]: 1 N+1 query: 10 × "select ... from track ..." loads Album.tracks one row at a time; ...
 * ```
 */
export class NPlusOneError extends StratumError<'E_N_PLUS_ONE'> {
  static override readonly code = 'E_N_PLUS_ONE' as const;
  readonly findings: readonly NPlusOneFinding[];

  constructor(findings: readonly NPlusOneFinding[]) {
    super(
      `${findings.length} N+1 ${findings.length === 1 ? 'query' : 'queries'}:\n${findings
        .map((finding) => `  - ${finding.message}`)
        .join('\n')}`,
    );
    this.findings = findings;
  }
}
