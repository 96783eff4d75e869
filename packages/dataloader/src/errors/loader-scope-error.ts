import { StratumError } from '@stratum/core';

/**
 * Raised when loaders are asked of the global EntityManager outside a request context: loaders
 * cache what they load, so one shared by every request would leak rows between requests.
 *
 * @example
 * ```ts
 * try {
 *   loaders(orm.em); // no RequestContext: refused
 * } catch (error) {
 *   if (error instanceof LoaderScopeError) console.log(error.code); // 'E_LOADER_SCOPE'
 * }
 * ```
 */
export class LoaderScopeError extends StratumError<'E_LOADER_SCOPE'> {
  static override readonly code = 'E_LOADER_SCOPE' as const;

  constructor() {
    super(
      'Stratum loaders need a request-scoped EntityManager: pass em.fork(), or call loaders(orm.em) inside ' +
        'RequestContext.create(orm.em, ...) (or a framework middleware that creates one). A loader on the ' +
        "global EntityManager would cache one request's rows for every other request.",
    );
  }
}
