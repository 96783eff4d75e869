import type { AnalyzedQuery } from '../analyze/query-shape.js';
import type { ProposedCandidate } from '../candidates/generate-candidates.js';
import type { IndexCandidate } from '../candidates/index-candidate.js';
import type { EvaluationMethod, PlanSession } from '../postgres/plan-session.js';

/** Options of the whole-workload choice. */
export interface ChooseOptions {
  /** Most new indexes on one table. @default 5 */
  maxIndexesPerTable?: number;
  /** Most bytes of all new indexes together (their estimated sizes). @default Infinity */
  maxTotalBytes?: number;
  /**
   * A candidate serves a query only when the query's planner cost with it (and the picks before it) is
   * at most `1 - minCostReduction` of its cost without any suggestion (dexter's rule: half). @default 0.5
   */
  minCostReduction?: number;
  /**
   * Planner cost units one written row pays per index to maintain it (an INSERT always, an UPDATE when
   * it sets an indexed column). About two random page accesses. @default 10
   */
  writeCostPerIndex?: number;
  /** `server_version_num` of the target (≥ 140000 gives expressions statistics while planning). */
  serverVersion?: number;
  /**
   * Called as the evaluation goes: after the baseline plans, after each evaluated candidate of each
   * round (`done` of `total` in that round), and once the final plans are made. For a progress bar.
   */
  onProgress?: (event: ChooseProgress) => void;
}

/** One step of {@link chooseIndexes}, for {@link ChooseOptions.onProgress}. */
export interface ChooseProgress {
  readonly phase: 'baseline' | 'round' | 'final';
  /** The greedy round (1-based; 0 for the baseline and the final plans). */
  readonly round: number;
  readonly done: number;
  readonly total: number;
  /** Indexes picked so far. */
  readonly picked: number;
}

/** One query's planner cost before and after the chosen indexes. */
export interface QueryCost {
  readonly source: string;
  readonly sql: string;
  readonly calls: number;
  /** Planner cost without the suggestions (undefined when the query could not be planned). */
  readonly before: number | undefined;
  readonly after: number | undefined;
  /** Why EXPLAIN failed, when it did. */
  readonly error?: string;
}

/** Why an index is suggested. */
export interface SuggestionReason {
  /** The queries whose final plan uses it, with their costs without and with all the suggestions. */
  readonly queries: readonly QueryCost[];
  /** Σ calls × (cost before − cost after) over those queries, in planner cost units. */
  readonly saved: number;
  /** Σ calls × writeCostPerIndex over the writes that maintain it. */
  readonly writeCost: number;
  /** `saved − writeCost`: what the pick was ranked by. */
  readonly benefit: number;
  /** The index's estimated size, in bytes (HypoPG's estimate, or the size of the rolled-back build). */
  readonly estimatedBytes: number;
  /** The workload's writes that would maintain it. */
  readonly writesSlowed: readonly { readonly source: string; readonly sql: string; readonly calls: number }[];
  readonly evaluatedWith: EvaluationMethod;
}

/** An index to create, and why. */
export interface IndexSuggestion {
  readonly index: IndexCandidate;
  readonly reason: SuggestionReason;
}

/** The choice for the whole workload. */
export interface WorkloadChoice {
  readonly suggestions: readonly IndexSuggestion[];
  /** Every analysed query, with its cost before and after all the suggestions. */
  readonly queries: readonly QueryCost[];
  /** Σ calls × cost, without and with the suggestions. */
  readonly totalCostBefore: number;
  readonly totalCostAfter: number;
  /** Candidates that were evaluated and not picked, with the reason. */
  readonly rejected: readonly { readonly index: IndexCandidate; readonly reason: string }[];
}

const PLANNABLE = new Set<AnalyzedQuery['kind']>(['select', 'update', 'delete']);

/**
 * Picks indexes for the WHOLE workload, greedily: each round plans every remaining candidate
 * together with the indexes already picked, and takes the one with the largest benefit
 * (Σ calls × planner cost saved on the queries it serves, minus the write cost it adds on the tables
 * the workload writes), as long as it is positive and within the caps. A pick that a later, wider
 * pick makes redundant (its plans no longer use it) is dropped. Costs come from the planner, never
 * from a guess.
 *
 * @example
 * ```ts
 * const choice = await chooseIndexes(session, analysis.queries, generateCandidates(analysis.queries, schema));
 * choice.suggestions.map((s) => [s.index.name, s.reason.saved]);
 * ```
 */
export async function chooseIndexes(
  session: PlanSession,
  queries: readonly AnalyzedQuery[],
  proposed: readonly ProposedCandidate[],
  options: ChooseOptions = {},
): Promise<WorkloadChoice> {
  const {
    maxIndexesPerTable = 5,
    maxTotalBytes = Number.POSITIVE_INFINITY,
    minCostReduction = 0.5,
    writeCostPerIndex = 10,
  } = options;
  session.useExpressionStatistics(
    proposed.map((p) => p.candidate),
    options.serverVersion ?? 0,
  );
  const plannable = queries.flatMap((query, i) => (PLANNABLE.has(query.kind) && query.usages.length > 0 ? [i] : []));
  const progress = options.onProgress ?? (() => {});
  const baseline = await session.plan([], queries, plannable);
  progress({ phase: 'baseline', round: 0, done: 1, total: 1, picked: 0 });
  const before = new Map<number, number>();
  for (const [i, plan] of baseline.plans) if (plan.cost !== undefined) before.set(i, plan.cost);
  const current = new Map(before);
  const onTable = (table: string) =>
    [...before.keys()].filter((i) => queries[i]?.usages.some((u) => u.table === table));
  const writesOf = (candidate: IndexCandidate) => writesMaintaining(candidate, queries);

  const chosen: IndexCandidate[] = [];
  const sizes = new Map<string, number>();
  const rejected = new Map<string, { index: IndexCandidate; reason: string }>();
  let remaining = proposed.map((p) => p.candidate);
  for (let roundNo = 1; ; roundNo++) {
    let best: { candidate: IndexCandidate; benefit: number; costs: Map<number, number>; bytes: number } | undefined;
    const usedBytes = [...sizes.values()].reduce((a, b) => a + b, 0);
    const inRound = [...remaining];
    let done = 0;
    for (const candidate of inRound) {
      progress({ phase: 'round', round: roundNo, done: done++, total: inRound.length, picked: chosen.length });
      if (chosen.filter((c) => c.table === candidate.table).length >= maxIndexesPerTable) {
        rejected.set(candidate.name, {
          index: candidate,
          reason: `maxIndexesPerTable (${maxIndexesPerTable}) reached`,
        });
        continue;
      }
      const relevant = onTable(candidate.table);
      let planned: Awaited<ReturnType<PlanSession['plan']>>;
      try {
        planned = await session.plan([...chosen, candidate], queries, relevant);
      } catch (error) {
        // A candidate PostgreSQL refuses to create (an operator class the column's type lacks, ...).
        rejected.set(candidate.name, {
          index: candidate,
          reason: `cannot be evaluated: ${error instanceof Error ? error.message : String(error)}`,
        });
        remaining = remaining.filter((c) => c !== candidate);
        continue;
      }
      const bytes = planned.bytes.get(candidate.name) ?? 0;
      if (usedBytes + bytes > maxTotalBytes) {
        rejected.set(candidate.name, {
          index: candidate,
          reason: `maxTotalBytes (${maxTotalBytes}) would be exceeded`,
        });
        continue;
      }
      let saved = 0;
      const costs = new Map<number, number>();
      for (const i of relevant) {
        const plan = planned.plans.get(i);
        const was = current.get(i) as number;
        if (plan?.cost === undefined || !plan.uses.has(candidate.name)) continue;
        // Served: at most (1 - minCostReduction) of the query's cost WITHOUT any suggestion (dexter's rule),
        // so a wider index that finishes what an earlier pick started still qualifies; the gain is
        // counted against the cost with the earlier picks.
        if (plan.cost > (1 - minCostReduction) * (before.get(i) as number) || plan.cost >= was) continue;
        costs.set(i, plan.cost);
        saved += (queries[i] as AnalyzedQuery).calls * (was - plan.cost);
      }
      const writeCost = writesOf(candidate).reduce((sum, q) => sum + q.calls * writeCostPerIndex, 0);
      const benefit = saved - writeCost;
      if (costs.size === 0) {
        rejected.set(candidate.name, {
          index: candidate,
          reason: `no query it serves costs less than now and ${Math.round(minCostReduction * 100)}% less than without suggestions`,
        });
        continue;
      }
      if (benefit <= 0) {
        rejected.set(candidate.name, {
          index: candidate,
          reason: `its write cost (${round(writeCost)}) outweighs what it saves (${round(saved)})`,
        });
        continue;
      }
      if (!best || benefit > best.benefit) best = { candidate, benefit, costs, bytes };
    }
    if (!best) break;
    const pick = best;
    chosen.push(pick.candidate);
    sizes.set(pick.candidate.name, pick.bytes);
    rejected.delete(pick.candidate.name);
    for (const [i, cost] of pick.costs) current.set(i, cost);
    remaining = remaining.filter((c) => c !== pick.candidate);
  }

  // Final plans with every pick; a pick no final plan uses was made redundant by a wider one.
  let final = await session.plan(chosen, queries, [...before.keys()]);
  for (;;) {
    const unused = chosen.filter((c) => ![...final.plans.values()].some((plan) => plan.uses.has(c.name)));
    if (unused.length === 0) break;
    for (const c of unused) {
      chosen.splice(chosen.indexOf(c), 1);
      rejected.set(c.name, { index: c, reason: 'made redundant by a wider pick' });
    }
    final = await session.plan(chosen, queries, [...before.keys()]);
  }
  progress({ phase: 'final', round: 0, done: 1, total: 1, picked: chosen.length });

  const costOf = (i: number): QueryCost => {
    const query = queries[i] as AnalyzedQuery;
    const base = baseline.plans.get(i);
    const after = final.plans.get(i);
    const cost: QueryCost = {
      source: query.source,
      sql: query.sql,
      calls: query.calls,
      before: base?.cost,
      after: after?.cost ?? base?.cost,
    };
    return base?.error ? { ...cost, error: base.error } : cost;
  };
  const suggestions = chosen.map((index): IndexSuggestion => {
    const served = [...final.plans].filter(([, plan]) => plan.uses.has(index.name)).map(([i]) => costOf(i));
    const saved = served.reduce((sum, q) => sum + q.calls * ((q.before ?? 0) - (q.after ?? 0)), 0);
    const writes = writesOf(index);
    const writeCost = writes.reduce((sum, q) => sum + q.calls * writeCostPerIndex, 0);
    return {
      index,
      reason: {
        queries: served,
        saved: round(saved),
        writeCost: round(writeCost),
        benefit: round(saved - writeCost),
        estimatedBytes: final.bytes.get(index.name) ?? sizes.get(index.name) ?? 0,
        writesSlowed: writes.map((q) => ({ source: q.source, sql: q.sql, calls: q.calls })),
        evaluatedWith: session.methodOf(index),
      },
    };
  });
  const all = plannable.map(costOf);
  const total = (pick: (q: QueryCost) => number | undefined) =>
    round(all.reduce((sum, q) => sum + q.calls * (pick(q) ?? 0), 0));
  return {
    suggestions: suggestions.sort((a, b) => b.reason.benefit - a.reason.benefit),
    queries: all,
    totalCostBefore: total((q) => q.before),
    totalCostAfter: total((q) => q.after),
    rejected: [...rejected.values()],
  };
}

/** The workload's writes that would maintain an index: INSERTs into its table, UPDATEs setting one of its columns. */
function writesMaintaining(candidate: IndexCandidate, queries: readonly AnalyzedQuery[]): AnalyzedQuery[] {
  const columns = new Set([...candidate.keys.flatMap((key) => key.part.columns), ...candidate.include]);
  return queries.filter(
    (q) =>
      q.writes.includes(candidate.table) &&
      (q.kind === 'insert' || (q.kind === 'update' && q.updatedColumns.some((column) => columns.has(column)))),
  );
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
