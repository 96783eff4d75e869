import { InvalidArgumentError } from '@stratum/core';
import { type AnyMethod, type DualMethodDecorator, methodDecorator, parameterNames } from '@stratum/core/internal';
import type { Cache } from '../cache.js';
import { defaultCache } from '../default-cache.js';
import { runAfterCommit } from '../orm/after-commit.js';
import { cacheOf } from '../orm/orm-caches.js';
import { entityManagerOf } from '../orm/orm-context.js';
import { compileKeyTemplate, type KeyTemplate } from './key-template.js';

/** Options of {@link InvalidatesCache}: templates with `{param}` placeholders, like `@Cached`'s key. */
export interface InvalidatesCacheOptions {
  keys?: readonly string[];
  /** Glob patterns over keys (`*`, `?`), e.g. `search:*:{sessionId}`. */
  patterns?: readonly string[];
  tags?: readonly string[];
  /**
   * The cache to use.
   * @default the ORM's (`enableCache`) on a repository, else {@link defaultCache}
   */
  cache?: Cache;
}

const OPTION_KEYS = new Set(['keys', 'patterns', 'tags', 'cache']);

/**
 * Invalidates keys, patterns and tags after the method succeeds (not when it throws). On a MikroORM
 * repository inside a transaction, it waits for the ROOT transaction to end (after the commit; a
 * savepoint releasing does not count), which needs `enableCache(orm)`. The call returns once the
 * invalidation is done (outside a transaction), so a read after it never sees the old entry. A key
 * also invalidates its per-filter variants (the entries `@Cached` wrote for each tenant).
 *
 * @example
 * ```ts
 * class SearchService {
 *   @InvalidatesCache({ patterns: ['search:*:{sessionId}'], tags: ['album:{albumId}'] })
 *   async rename(sessionId: string, albumId: number, title: string) { ... }
 * }
 * ```
 */
export function InvalidatesCache(options: InvalidatesCacheOptions): DualMethodDecorator {
  const label = '@InvalidatesCache()';
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`${label} options`, 'an object', options);
  }
  const unknown = Object.keys(options).filter((k) => !OPTION_KEYS.has(k));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(`${label} options`, `an object with only ${[...OPTION_KEYS].join(', ')}`, options);
  }
  const count = (options.keys?.length ?? 0) + (options.patterns?.length ?? 0) + (options.tags?.length ?? 0);
  if (count === 0) {
    throw new InvalidArgumentError(`${label} options`, 'at least one key, pattern or tag', options);
  }
  return methodDecorator(label, (method, member) => {
    const params = parameterNames(method as never);
    const where = `@InvalidatesCache on ${member.className ?? '(class)'}.${member.name}`;
    const compile = (list: readonly string[] | undefined, glob: boolean) =>
      (list ?? []).map((template) => compileKeyTemplate(template, params, where, glob));
    return invalidatingMethod(
      method,
      compile(options.keys, false),
      compile(options.patterns, true),
      compile(options.tags, false),
      options,
    );
  });
}

function invalidatingMethod(
  method: AnyMethod,
  keys: readonly KeyTemplate[],
  patterns: readonly KeyTemplate[],
  tags: readonly KeyTemplate[],
  options: InvalidatesCacheOptions,
): AnyMethod {
  const templates = [...keys, ...patterns, ...tags];
  return async function (this: unknown, ...args: unknown[]) {
    // Rendered once before the write only to fail early: a path the arguments cannot answer (an
    // inherited property, a function) throws CacheKeyError before the method runs, not after a write
    // whose invalidation it would then skip. The keys are rendered after the method (it may assign
    // the ids they name).
    for (const template of templates) template.render(args);
    const result = await method.apply(this, args);
    const em = entityManagerOf(this);
    const cache = options.cache ?? (em ? cacheOf(em) : defaultCache());
    const renderedKeys = keys.map((key) => key.render(args));
    const renderedPatterns = patterns.map((pattern) => pattern.render(args));
    const invalidation = {
      keys: renderedKeys,
      // Each key and pattern also covers the entries written under a MikroORM filter (`<key>|f=<hash>`).
      patterns: [
        ...renderedKeys.map((key) => `${key}|f=*`),
        ...renderedPatterns,
        ...renderedPatterns.map((p) => `${p}|f=*`),
      ],
      tags: tags.map((tag) => tag.render(args)),
    };
    if (em) {
      await runAfterCommit(em, () => cache.invalidate(invalidation));
    } else {
      await cache.invalidate(invalidation);
    }
    return result;
  };
}
