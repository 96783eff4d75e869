import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';

/** Least time between two probes of one client, in ms. */
const PROBE_EVERY_MS = 100;

/**
 * Shortens an ioredis client's wait for its next reconnection attempt once its server is back.
 * ioredis backs off between attempts (`retryStrategy`, by default up to 2 s), so a Redis that
 * restarts is used again only at the next attempt. {@link ReconnectProbe.poke} (called as often as
 * the caller likes, at most one TCP probe per 100 ms) opens a bare TCP connection to the client's
 * address while the client is `reconnecting`; when the server accepts it, it calls the client's own
 * `connect()` — the attempt ioredis would have made later (its pending retry then finds the client
 * connected and does nothing). Sentinel-managed and Unix-socket-less clients without an address are
 * left to ioredis.
 *
 * @example
 * ```ts
 * const probe = new ReconnectProbe(redis);
 * if (redis.status === 'reconnecting') probe.poke();
 * ```
 */
export class ReconnectProbe {
  readonly #client: Redis;
  #inFlight = false;
  #lastAt = Number.NEGATIVE_INFINITY;

  constructor(client: Redis) {
    this.#client = client;
  }

  /** Probes the server (unless a probe ran in the last 100 ms) and reconnects the client if it answers. */
  poke(): void {
    const client = this.#client;
    const options = client.options ?? {};
    if (client.status !== 'reconnecting' || this.#inFlight || options.sentinels) return;
    const now = performance.now();
    if (now - this.#lastAt < PROBE_EVERY_MS) return;
    this.#lastAt = now;
    this.#inFlight = true;
    let socket: Socket;
    try {
      socket = options.path
        ? connect({ path: options.path })
        : connect({ host: options.host ?? 'localhost', port: options.port ?? 6379 });
    } catch {
      this.#inFlight = false;
      return;
    }
    socket.unref();
    socket.setTimeout(PROBE_EVERY_MS * 5);
    const settle = (accepted: boolean): void => {
      socket.destroy();
      if (!this.#inFlight) return;
      this.#inFlight = false;
      if (accepted && client.status === 'reconnecting') client.connect().catch(() => {});
    };
    socket.once('connect', () => settle(true));
    socket.once('error', () => settle(false));
    socket.once('timeout', () => settle(false));
  }
}
