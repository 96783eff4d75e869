/**
 * What `stratum` exits with: 0 when all is well, 1 when a check found something to fix (a lint
 * finding, a pragma that differs from the preset), 2 for bad usage or bad input (an unknown option,
 * a missing or malformed file, an unreachable database).
 *
 * @example
 * ```ts
 * process.exitCode = report.findings > 0 ? EXIT_CODES.findings : EXIT_CODES.ok;
 * ```
 */
export const EXIT_CODES = Object.freeze({ ok: 0, findings: 1, usage: 2 } as const);

/** One of {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
