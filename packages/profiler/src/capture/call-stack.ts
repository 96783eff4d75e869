/**
 * A call stack captured when a query starts, parsed only when someone asks (a report, the N+1
 * detector): capturing costs ~2 µs with a bounded depth, formatting and parsing cost more and are
 * paid for a few queries, not all.
 */
export class CallStack {
  readonly #holder: { stack?: string };
  #frames: readonly string[] | undefined;

  private constructor(holder: { stack?: string }) {
    this.#holder = holder;
  }

  /** Captures the current stack, at most `depth` frames deep. */
  static capture(depth: number): CallStack {
    const holder: { stack?: string } = {};
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = depth;
    Error.captureStackTrace(holder, CallStack.capture);
    Error.stackTraceLimit = limit;
    return new CallStack(holder);
  }

  /** The frames in application code (not Node's, not a dependency's, not Stratum's own), innermost first. */
  get appFrames(): readonly string[] {
    this.#frames ??= parseFrames(this.#holder.stack ?? '')
      .filter(isAppFrame)
      .map(relativeToWorkingDirectory);
    return this.#frames;
  }

  /** The innermost application frame: where the app asked for this query. */
  get callSite(): string | undefined {
    return this.appFrames[0];
  }

  /** A key equal for two queries sent from the same place by the same path through the app. */
  get key(): string {
    return this.appFrames.join('\n');
  }

  /**
   * Like {@link key}, with the outer frames by line only: a call made first synchronously, then from
   * an `await` continuation (a loop's first iteration, then the next ones), shows its callers at the
   * call (`profile(` at column 21) and then at the `await` (column 15) of the same line. Used for
   * where a loader's `load(key)` was called, which runs before any await of the loop's body.
   */
  get lineKey(): string {
    return this.appFrames.map((frame, i) => (i === 0 ? frame : frame.replace(/:(\d+):\d+(\)?)$/, ':$1$2'))).join('\n');
  }
}

const LIBRARY_PATHS = [
  '/node_modules/',
  'node:',
  ...['core', 'profiler', 'dataloader', 'cache', 'sqlite'].flatMap((name) => [
    `/packages/${name}/src/`,
    `/packages/${name}/dist/`,
  ]),
];

function isAppFrame(frame: string): boolean {
  return !LIBRARY_PATHS.some((path) => frame.includes(path)) && !frame.includes('(native)') && frame.includes(':');
}

/**
 * `    at async fn (file:///app/src/x.ts:3:5)` → `fn (src/x.ts:3:5)`: one entry per frame, without `at`,
 * `async` or the URL scheme.
 */
function parseFrames(stack: string): string[] {
  const frames: string[] = [];
  for (const line of stack.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('at ')) {
      frames.push(
        trimmed
          .slice(3)
          .replace(/^async /, '')
          .replace('file://', ''),
      );
    }
  }
  return frames;
}

/** `fn (/app/src/x.ts:3:5)` → `fn (src/x.ts:3:5)` when the app runs from `/app`. */
function relativeToWorkingDirectory(frame: string): string {
  return frame.replace(`${process.cwd()}/`, '');
}
