import { describe, expect, it } from 'vitest';
import { analyzeWorkload, parseSqlText, type TableUsage } from '../src/index.js';

async function usagesOf(sql: string, params: unknown[] = []): Promise<TableUsage[]> {
  const analysis = await analyzeWorkload({ statements: [{ sql, params, calls: 1, source: 'test' }] });
  expect(analysis.unparsed).toEqual([]);
  return [...(analysis.queries[0]?.usages ?? [])];
}

describe('analyzeWorkload (PostgreSQL parser)', () => {
  it('finds equality, IN, range, LIKE prefix, ILIKE substring, expressions and IS NULL per alias', async () => {
    const [customer] = await usagesOf(
      `select "c0".* from "customer" as "c0" where lower("c0"."email") = $1 and "c0"."country" in ($2, $3)
         and "c0"."id" >= $4 and "c0"."last_name" like $5 and "c0"."company" ilike $6 and "c0"."fax" is null
         and "c0"."state" = 'CA' and "c0"."support_rep_id" between $7 and $8`,
      ['a@b.c', 'USA', 'Canada', 10, 'Smi%', '%soft%', 1, 3],
    );
    expect(customer?.table).toBe('customer');
    expect(customer?.alias).toBe('c0');
    expect(customer?.predicates).toEqual([
      { kind: 'equality', on: { expression: 'lower("email")', columns: ['email'] } },
      { kind: 'in', on: { column: 'country', columns: ['country'] } },
      { kind: 'range', on: { column: 'id', columns: ['id'] } },
      { kind: 'like-prefix', on: { column: 'last_name', columns: ['last_name'] } },
      { kind: 'contains', on: { column: 'company', columns: ['company'] } },
      { kind: 'is-null', on: { column: 'fax', columns: ['fax'] }, constant: '"fax" is null' },
      { kind: 'equality', on: { column: 'state', columns: ['state'] }, constant: `"state" = 'CA'` },
      { kind: 'range', on: { column: 'support_rep_id', columns: ['support_rep_id'] } },
    ]);
    expect(customer?.columnsRead).toBe('*');
  });

  it('reads join keys, ORDER BY with direction, GROUP BY and the columns a query reads', async () => {
    const usages = await usagesOf(
      `select i.billing_country, count(*) from invoice i join customer c on c.id = i.customer_id
        where i.invoice_date >= $1 group by i.billing_country order by i.billing_country desc nulls last limit 10`,
      ['2025-01-01'],
    );
    const invoice = usages.find((u) => u.table === 'invoice');
    const customer = usages.find((u) => u.table === 'customer');
    expect(invoice?.joinColumns).toEqual(['customer_id']);
    expect(customer?.joinColumns).toEqual(['id']);
    expect(invoice?.orderBy).toEqual([
      { on: { column: 'billing_country', columns: ['billing_country'] }, direction: 'desc', nulls: 'last' },
    ]);
    expect(invoice?.groupBy).toEqual([{ column: 'billing_country', columns: ['billing_country'] }]);
    expect(new Set(invoice?.columnsRead)).toEqual(new Set(['billing_country', 'invoice_date', 'customer_id']));
  });

  it('treats a correlated subquery column as an equality lookup and marks IN-subquery keys', async () => {
    const usages = await usagesOf(
      `select a.* from album a where exists (select 1 from track t where t.album_id = a.id and t.genre_id = $1)
         and a.artist_id in (select ar.id from artist ar where ar.name = $2)`,
      [1, 'AC/DC'],
    );
    const track = usages.find((u) => u.table === 'track');
    expect(track?.predicates.map((p) => [p.kind, p.on.column])).toEqual([
      ['equality', 'album_id'],
      ['equality', 'genre_id'],
    ]);
    expect(usages.find((u) => u.table === 'album')?.joinColumns).toEqual(['artist_id']);
    expect(usages.find((u) => u.table === 'artist')?.predicates[0]?.kind).toBe('equality');
  });

  it('knows what writes write, and analyses the WHERE of an UPDATE or DELETE', async () => {
    const analysis = await analyzeWorkload(
      parseSqlText(`insert into invoice (customer_id, total) values (1, 2);
        -- calls: 40
        update invoice set total = 3 where customer_id = 7;
        delete from invoice_line where invoice_id = 9`),
    );
    expect(analysis.queries.map((q) => [q.kind, q.writes, q.calls])).toEqual([
      ['insert', ['invoice'], 1],
      ['update', ['invoice'], 40],
      ['delete', ['invoice_line'], 1],
    ]);
    // In a plain SQL file a literal stands for a value (no constant of the shape, so no partial index from it).
    expect(analysis.queries[1]?.usages[0]?.predicates[0]).toEqual({
      kind: 'equality',
      on: { column: 'customer_id', columns: ['customer_id'] },
    });
    expect(analysis.queries[1]?.updatedColumns).toEqual(['total']);
  });

  it('reports a statement the parser refuses with its text and reason, and analyses the rest', async () => {
    const analysis = await analyzeWorkload(
      parseSqlText('select * from track where; select * from album where id = 1', 'q.sql'),
    );
    expect(analysis.unparsed).toEqual([
      { sql: 'select * from track where', source: 'q.sql:1', calls: 1, reason: 'syntax error at end of input' },
    ]);
    expect(analysis.queries.map((q) => q.usages[0]?.table)).toEqual(['album']);
  });

  it('keeps hostile quoted names exactly', async () => {
    const [usage] = await usagesOf(`select * from "we""ird; table" as "x y" where "x y"."col?""" = $1`, [1]);
    expect(usage?.table).toBe('we"ird; table');
    expect(usage?.predicates[0]?.on.column).toBe('col?"');
  });
});
