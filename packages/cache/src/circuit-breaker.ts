import { InvalidArgumentError } from '@stratum/core';

/** Options of {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. @default 5 */
  failureThreshold?: number;
  /** How long an open circuit rejects calls before one probe is let through, in ms. @default 1000 */
  cooldownMs?: number;
  /** Called when the circuit closes again after having been open (the backend is back). */
  onRecover?: () => void;
}

/**
 * Stops a cache from hammering a dead backend: after `failureThreshold` consecutive failures the
 * circuit opens and {@link allows} says no for `cooldownMs`; then one call is let through (half
 * open): its success closes the circuit, its failure opens it again for another cooldown.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 500 });
 * if (breaker.allows()) {
 *   try { await redis.get(key); breaker.succeeded(); } catch { breaker.failed(); }
 * }
 * ```
 */
export class CircuitBreaker {
  readonly #threshold: number;
  readonly #cooldownMs: number;
  readonly #onRecover: (() => void) | undefined;
  #failures = 0;
  #openedAt: number | undefined;
  #probing = false;
  #openings = 0;

  constructor(options: CircuitBreakerOptions = {}) {
    const threshold = options.failureThreshold ?? 5;
    if (!Number.isSafeInteger(threshold) || threshold <= 0) {
      throw new InvalidArgumentError('breaker.failureThreshold', 'a positive integer', threshold);
    }
    const cooldownMs = options.cooldownMs ?? 1000;
    if (typeof cooldownMs !== 'number' || !Number.isFinite(cooldownMs) || cooldownMs <= 0) {
      throw new InvalidArgumentError('breaker.cooldownMs', 'a positive number of milliseconds', cooldownMs);
    }
    this.#threshold = threshold;
    this.#cooldownMs = cooldownMs;
    this.#onRecover = options.onRecover;
  }

  /** How long an open circuit waits before it lets a probe through, in ms. */
  get cooldownMs(): number {
    return this.#cooldownMs;
  }

  /** `closed` (calls go through), `open` (they do not), `half-open` (one probe is out). */
  get state(): 'closed' | 'open' | 'half-open' {
    if (this.#openedAt === undefined) return 'closed';
    return this.#probing ? 'half-open' : 'open';
  }

  /** How many times the circuit has opened. */
  get openings(): number {
    return this.#openings;
  }

  /** Whether a call may go to the backend now (an open circuit lets one probe through after its cooldown). */
  allows(now = Date.now()): boolean {
    if (this.#openedAt === undefined) return true;
    if (this.#probing || now - this.#openedAt < this.#cooldownMs) return false;
    this.#probing = true;
    return true;
  }

  /**
   * Lets the next {@link allows} through as a probe at once, whatever is left of the cooldown (the
   * store is known to have a new connection). Does nothing while closed or while a probe runs.
   */
  probeNow(): void {
    if (this.#openedAt !== undefined && !this.#probing) this.#openedAt = Number.NEGATIVE_INFINITY;
  }

  /** Reports a call that succeeded. */
  succeeded(): void {
    const wasOpen = this.#openedAt !== undefined;
    this.#failures = 0;
    this.#openedAt = undefined;
    this.#probing = false;
    if (wasOpen) this.#onRecover?.();
  }

  /** Reports a call that failed. */
  failed(now = Date.now()): void {
    this.#failures++;
    if (this.#probing || (this.#openedAt === undefined && this.#failures >= this.#threshold)) {
      if (this.#openedAt === undefined) this.#openings++;
      this.#openedAt = now;
      this.#probing = false;
    }
  }
}
