import { StratumError } from '@stratum/core';

/**
 * A workload or SQL file that cannot be read as one: missing, not JSON, or not the shape
 * `@stratum/profiler`'s `writeWorkload` writes (a `queries` array of `{ example: { sql, params }, calls }`).
 * `path` is the file (`undefined` for a value passed in memory); the message says what was wrong.
 *
 * @example
 * ```ts
 * try {
 *   await readWorkload('missing.json');
 * } catch (error) {
 *   if (error instanceof WorkloadFileError) console.error(error.message); // workload file missing.json: cannot be read (ENOENT)
 * }
 * ```
 */
export class WorkloadFileError extends StratumError<'E_WORKLOAD_FILE'> {
  static override readonly code = 'E_WORKLOAD_FILE' as const;
  readonly path: string | undefined;

  constructor(path: string | undefined, reason: string, options?: ErrorOptions) {
    super(`workload ${path === undefined ? '(in memory)' : `file ${path}`}: ${reason}`, options);
    this.path = path;
  }
}
