import cliProgress from 'cli-progress';

/** What a long command reports while it works: how far it is. */
export interface Progress {
  /** Sets how many steps there are. */
  start(total: number, label: string): void;
  /** One more step done; `detail` says which. */
  tick(detail?: string): void;
  stop(): void;
}

/** A writable stream as `process.stderr` is: it may be a terminal. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/**
 * A progress bar on a terminal (cli-progress), plain progress lines otherwise (CI logs, pipes):
 * `[3/17] analysing <detail>`, at most one line per step.
 *
 * @example
 * ```ts
 * const progress = createProgress(process.stderr);
 * progress.start(queries.length, 'analysing');
 * for (const query of queries) { analyse(query); progress.tick(query.fingerprint); }
 * progress.stop();
 * ```
 */
export function createProgress(stream: ProgressStream): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream: stream as NodeJS.WriteStream, format: '{label} [{bar}] {value}/{total} {detail}', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    return {
      start: (total, label) => bar.start(total, 0, { label, detail: '' }),
      tick: (detail = '') => bar.increment(1, { detail }),
      stop: () => bar.stop(),
    };
  }
  let done = 0;
  let total = 0;
  let label = '';
  return {
    start(steps, name) {
      done = 0;
      total = steps;
      label = name;
    },
    tick(detail) {
      done++;
      stream.write(`[${done}/${total}] ${label}${detail ? ` ${detail}` : ''}\n`);
    },
    stop() {},
  };
}
