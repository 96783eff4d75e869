import '@stratum/profiler/vitest';
import { describe, expect, it } from 'vitest';

// Its own file: vitest runs each file in a fresh worker, where no ORM has been instrumented yet.
describe('the matchers before instrument(orm)', () => {
  it('say what is missing instead of counting zero queries', async () => {
    await expect(expect(async () => {}).toIssueQueries(0)).rejects.toThrow(
      /toIssueQueries sees no query: no ORM is instrumented\. Call instrument\(orm\)/,
    );
  });
});
