import { describe, expect, it } from 'vitest';
import { SqlTextTable } from '../../src/capture/sql-text-table.js';

const select = (column: string) => ['select', `"t0"."${column}"`, 'from "track" as "t0" where "t0"."id" = ?'].join(' ');

describe('SqlTextTable', () => {
  it('gives one record, and the first string, to every copy of a text, and counts them', () => {
    const texts = new SqlTextTable();
    const first = texts.intern(select('name'));
    const again = texts.intern(select('name'));
    expect(again).toBe(first);
    expect(again?.count).toBe(2);
    expect(texts.size).toBe(1);
  });

  it('keeps texts apart that differ only where no character is sampled', () => {
    // Same length, one character apart in the middle of a long text: the sampled hash may collide,
    // the full comparison must not.
    const long = (letter: string) => `select ${'x'.repeat(150)}${letter}${'y'.repeat(150)} from t where id = ?`;
    const texts = new SqlTextTable();
    const records = 'abcdefghij'.split('').map((letter) => texts.intern(long(letter)));
    expect(new Set(records).size).toBe(10);
    expect(records.map((record) => record?.count)).toEqual(Array(10).fill(1));
    expect(texts.intern(long('e'))).toBe(records[4]);
    expect(texts.size).toBe(10);
  });

  it('never keeps a text longer than maxLength', () => {
    const texts = new SqlTextTable(10, 20);
    expect(texts.intern(`insert into t values ${'(?),'.repeat(10)}(?)`)).toBeUndefined();
    expect(texts.size).toBe(0);
    expect(texts.intern('select 1')?.count).toBe(1);
  });

  it('starts over past its capacity, so memory stays bounded', () => {
    const texts = new SqlTextTable(3);
    for (const n of [1, 2, 3]) texts.intern(`select ${n}`);
    expect(texts.intern('select 1')?.count).toBe(2);
    const fourth = texts.intern('select 4');
    expect(texts.size).toBe(1);
    expect(fourth?.count).toBe(1);
    expect(texts.intern('select 1')?.count).toBe(1);
  });
});
