/**
 * `@stratum/core/internal`: what Stratum's own packages (`@stratum/cache`, `@stratum/dataloader`,
 * `@stratum/profiler`) share — the decorator factory and target checks, the batch, operation and
 * eager-load contexts, argument checks.
 *
 * NOT semver-stable: any release may change or remove these names. Apps import `@stratum/core`; a
 * package that builds on these pins the exact `@stratum/core` version, as Stratum's packages do.
 *
 * @example
 * ```ts
 * import { defineDecorator } from '@stratum/core/internal';
 *
 * export const Logged = () =>
 *   defineDecorator('@Logged()', {
 *     method: (method, member) =>
 *       function (this: unknown, ...args: unknown[]) {
 *         console.log(member.label, args);
 *         return method.apply(this, args);
 *       },
 *   });
 * ```
 */
export {
  type BatchCallerTracer,
  currentBatch,
  runInBatch,
  type StratumBatch,
  setBatchCallerTracer,
  traceBatchCaller,
} from './batch-context.js';
export {
  classNameOf,
  type DecoratorContextLike,
  describeDecoratorTarget,
  isDecoratorContext,
  isGeneratorFunction,
  legacyMethodDescriptor,
  memberName,
} from './decorators/decorator-target.js';
export {
  type AnyMethod,
  type DecoratedMember,
  type DecoratorSpec,
  defineDecorator,
} from './decorators/define-decorator.js';
export { type DualMethodDecorator, methodDecorator, parameterNames } from './decorators/method-decorator.js';
export {
  type ActiveEagerLoad,
  assertEagerLoadPaths,
  assertPopulatePaths,
  currentEagerLoad,
  EAGER_LOAD_DEFAULT,
  EAGER_LOAD_STRATEGIES,
  type EagerLoadSpec,
  type EagerLoadStrategy,
  eagerLoadDefault,
  mergeEagerLoad,
  runWithEagerLoad,
} from './eager-load-context.js';
export { describeValue } from './errors/stratum-error.js';
export { currentOperation, runInOperation, type StratumOperation } from './operation-context.js';
