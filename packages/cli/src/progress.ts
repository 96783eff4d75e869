import type { ChooseProgress } from '@stratum/indexer';
import cliProgress from 'cli-progress';

/** A progress reporter for the evaluation: a bar on a terminal, plain lines otherwise. */
export interface Progress {
  readonly onProgress: (event: ChooseProgress) => void;
  stop(): void;
}

/**
 * On a TTY, a `cli-progress` bar on stderr (one bar per round of the whole-workload choice); elsewhere
 * (CI logs, pipes) one plain line per phase and round, so logs stay readable.
 */
export function createProgress(stream: NodeJS.WritableStream & { isTTY?: boolean }): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream, format: 'stratum: {phase} [{bar}] {value}/{total} candidates, {picked} picked', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    let round = -1;
    return {
      onProgress: (event) => {
        const phase = event.phase === 'round' ? `round ${event.round}` : event.phase;
        if (!started || event.round !== round) {
          if (started) bar.stop();
          bar.start(event.total, event.done, { phase, picked: event.picked });
          started = true;
          round = event.round;
        }
        bar.update(event.phase === 'round' ? event.done : event.total, { phase, picked: event.picked });
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  let lastRound = -1;
  return {
    onProgress: (event) => {
      if (event.phase === 'baseline') stream.write('stratum: planned every query without new indexes\n');
      else if (event.phase === 'final') stream.write(`stratum: done, ${event.picked} indexes picked\n`);
      else if (event.round !== lastRound) {
        lastRound = event.round;
        stream.write(`stratum: round ${event.round}: evaluating ${event.total} candidates (${event.picked} picked)\n`);
      }
    },
    stop: () => {},
  };
}
