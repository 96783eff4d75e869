import { StratumError } from './stratum-error.js';

/**
 * A feature needs an optional package that is not installed (for example `pg-copy-streams` for
 * `insertMany`'s PostgreSQL `COPY` path when `copyThreshold` is given explicitly).
 *
 * @example
 * ```ts
 * await lines.insertMany(rows, { copyThreshold: 1000 }); // on PostgreSQL, without pg-copy-streams
 * // MissingDependencyError [E_MISSING_DEPENDENCY]: insertMany() COPY needs the package pg-copy-streams ...
 * ```
 */
export class MissingDependencyError extends StratumError<'E_MISSING_DEPENDENCY'> {
  static override readonly code = 'E_MISSING_DEPENDENCY' as const;
  /** The npm package to install. */
  readonly dependency: string;

  constructor(dependency: string, feature: string, options?: ErrorOptions) {
    super(
      `${feature} needs the package ${dependency}, which is not installed: add it (pnpm add ${dependency}).`,
      options,
    );
    this.dependency = dependency;
  }
}
