import { StratumError } from '@stratum/core';

/**
 * The target database could not be reached (connection refused, unknown host, bad credentials,
 * unknown database). `url` is the connection URL with its password masked; `cause` is the driver's error.
 *
 * @example
 * ```ts
 * await suggestIndexes({ workload, clientUrl: 'postgresql://postgres@127.0.0.1:1/app' });
 * // DatabaseUnreachableError [E_DATABASE_UNREACHABLE]: cannot connect to postgresql://postgres@127.0.0.1:1/app: connect ECONNREFUSED 127.0.0.1:1
 * ```
 */
export class DatabaseUnreachableError extends StratumError<'E_DATABASE_UNREACHABLE'> {
  static override readonly code = 'E_DATABASE_UNREACHABLE' as const;
  readonly url: string;

  constructor(url: string, cause: unknown) {
    const masked = maskPassword(url);
    super(`cannot connect to ${masked}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.url = masked;
  }
}

function maskPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}
