import { instrument, type ProfileReport, profile } from '@stratum/profiler';
import { type ExecutionResult, type GraphQLSchema, graphql } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeEachDriver } from '../../../test/harness/index.js';
import { useChinook } from '../../../test/support/use-chinook.js';
import { createChinookContext } from '../src/graphql/chinook-context.js';
import { type ChinookResolverMode, createChinookSchema } from '../src/graphql/create-chinook-schema.js';

/** A GraphQL query of the suite, sent with a small and a large `$limit` on its root field. */
interface Scenario {
  readonly name: string;
  readonly source: string;
  /** The relation (and count) fields the query selects: Stratum sends 1 + this many queries. */
  readonly relations: number;
  readonly limits: readonly [small: number, large: number];
  /** The relations the N+1 detector must name for the naive resolvers. */
  readonly nPlusOne: readonly string[];
}

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'artists → albums → tracks → genre and media type',
    source: /* GraphQL */ `
      query ($limit: Int!) {
        artists(limit: $limit) {
          id
          name
          albums {
            id
            title
            trackCount
            tracks { id name milliseconds genre { name } mediaType { name } }
          }
        }
      }
    `,
    relations: 5, // albums, trackCount, tracks, genre, mediaType
    limits: [5, 50],
    nPlusOne: ['Artist.albums', 'Album.tracks', 'Track.genre', 'Track.mediaType'],
  },
  {
    name: 'playlists → tracks → album',
    source: /* GraphQL */ `
      query ($limit: Int!) {
        playlists(limit: $limit) {
          id
          name
          trackCount
          tracks { id name album { id title } }
        }
      }
    `,
    relations: 3, // trackCount, tracks, album
    limits: [3, 6], // 3 503 and 4 980 tracks
    nPlusOne: ['Playlist.tracks', 'Track.album'],
  },
  {
    name: 'customers → invoices → lines → track',
    source: /* GraphQL */ `
      query ($limit: Int!) {
        customers(limit: $limit) {
          id
          firstName
          lastName
          supportRep { lastName }
          invoiceCount
          invoices {
            id
            invoiceDate
            total
            lines { id quantity unitPrice track { id name } }
          }
        }
      }
    `,
    relations: 5, // supportRep, invoiceCount, invoices, lines, track
    limits: [5, 50],
    nPlusOne: ['Customer.supportRep', 'Customer.invoices', 'Invoice.lines', 'InvoiceLine.track'],
  },
  {
    name: 'employees → reports → reports',
    source: /* GraphQL */ `
      query ($limit: Int!) {
        employees(limit: $limit) {
          id
          lastName
          reports {
            id
            lastName
            reportCount
            reports { id lastName reportsTo { lastName } }
          }
        }
      }
    `,
    relations: 4, // reports, reportCount, reports, reportsTo
    // Chinook has 8 employees in 3 levels; with more roots the second `reports` is served from the
    // request's cache (see the last test): 1 and 2 roots load every level.
    limits: [1, 2],
    nPlusOne: ['Employee.reports', 'Employee.reportsTo'],
  },
];

/** One GraphQL request as a client sends it: its data, and what MikroORM sent to the database. */
interface Run {
  readonly data: unknown;
  /** SQL statements MikroORM sent (no BEGIN/COMMIT). */
  readonly statements: number;
  readonly report: ProfileReport<ExecutionResult>;
}

/** Whether a finding names `relation`; the detector names a reference by all its referrers (`A.x or B.y`). */
function names(relation: string | undefined, expected: string): boolean {
  return relation?.split(' or ').includes(expected) ?? false;
}

describeEachDriver('GraphQL over Chinook, executed by graphql-js', (ctx) => {
  const chinook = useChinook(ctx);
  const schemas: Record<ChinookResolverMode, GraphQLSchema> = {
    naive: createChinookSchema('naive'),
    stratum: createChinookSchema('stratum'),
  };
  beforeAll(() => instrument(chinook.orm));

  /** Sends `source` as one request (its own context: fork and loaders), profiled. */
  async function execute(mode: ChinookResolverMode, source: string, variableValues = {}): Promise<Run> {
    chinook.resetQueries();
    const report = await profile(() =>
      graphql({
        schema: schemas[mode],
        source,
        variableValues,
        contextValue: createChinookContext(chinook.orm),
      }),
    );
    expect(report.result.errors).toBeUndefined();
    const statements = chinook.statements().length;
    expect(report.count).toBe(statements);
    return { data: JSON.parse(JSON.stringify(report.result.data)), statements, report };
  }

  for (const scenario of SCENARIOS) {
    describe(scenario.name, () => {
      const [small, large] = scenario.limits;
      const runs = new Map<string, Run>();
      const run = (mode: ChinookResolverMode, limit: number) => runs.get(`${mode} ${limit}`) as Run;
      beforeAll(async () => {
        for (const mode of ['naive', 'stratum'] as const) {
          for (const limit of scenario.limits) {
            runs.set(`${mode} ${limit}`, await execute(mode, scenario.source, { limit }));
          }
        }
      });

      it('returns the same data with naive and with Stratum resolvers', () => {
        for (const limit of scenario.limits) {
          expect(run('stratum', limit).data).toEqual(run('naive', limit).data);
        }
        expect(JSON.stringify(run('stratum', large).data).length).toBeGreaterThan(
          JSON.stringify(run('stratum', small).data).length,
        );
      });

      it(`sends 1 + ${scenario.relations} queries with Stratum, one per selected relation, for ${small} and for ${large} roots`, () => {
        expect(run('stratum', small).statements).toBe(1 + scenario.relations);
        expect(run('stratum', large).statements).toBe(1 + scenario.relations);
      });

      it('sends more queries with naive resolvers, and more again with more roots', () => {
        expect(run('naive', small).statements).toBeGreaterThan(1 + scenario.relations);
        expect(run('naive', large).statements).toBeGreaterThan(run('naive', small).statements);
      });

      it(`the N+1 detector names ${scenario.nPlusOne.join(', ')} for the naive resolvers`, () => {
        for (const limit of scenario.limits) {
          const findings = run('naive', limit).report.nPlusOne();
          for (const relation of scenario.nPlusOne) {
            expect(
              findings.some((finding) => names(finding.relation, relation)),
              `${relation} in ${findings.map((finding) => finding.relation).join(', ')}`,
            ).toBe(true);
          }
        }
      });

      // Even where a tree's levels run the same loader from the same stack (employees → reports → reports).
      it("the N+1 detector finds nothing in Stratum's queries", () => {
        for (const limit of scenario.limits) {
          expect(run('stratum', limit).report.nPlusOne()).toEqual([]);
        }
      });
    });
  }

  describe('the request cache', () => {
    it('answers a level the request already loaded from its loaders: all 8 employees → reports → reports in 2 queries', async () => {
      const source = '{ employees { id reports { id reports { id } } } }';
      const stratum = await execute('stratum', source);
      const naive = await execute('naive', source);
      expect(stratum.data).toEqual(naive.data);
      // employees, then the reports of all 8 at once; the reports of the reports are among those.
      expect(stratum.statements).toBe(2);
      // Naive: employees, the reports of each of the 8; then the reports of a report unless its own
      // collection was already loaded as a root's (the same instance): 9 to 16 depending on timing.
      expect(naive.statements).toBeGreaterThanOrEqual(1 + 8);
    });
  });
});
