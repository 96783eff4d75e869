import { InvalidArgumentError } from '@stratum/core';
import { Unpackr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import {
  assertSerializable,
  CacheValueError,
  DEFAULT_MAX_VALUE_BYTES,
  decodeValue,
  encodeValue,
} from '../src/index.js';

const roundTrip = <T>(value: T): T => decodeValue(encodeValue(value)) as T;

describe('encodeValue / decodeValue', () => {
  it('round-trips Date, BigInt of any size, Map, Set, Buffer, typed arrays, RegExp and nested data', () => {
    const value = {
      at: new Date('2024-02-29T12:34:56.789Z'),
      invalidDate: new Date(Number.NaN),
      int64: 9007199254740993n,
      huge: 10n ** 40n,
      map: new Map<unknown, unknown>([
        [1, 'one'],
        ['nested', { list: [new Set([1, 2])] }],
      ]),
      set: new Set(['a', 'b']),
      buffer: Buffer.from('bytes'),
      floats: new Float64Array([1.5, -2]),
      regexp: /a.b/giu,
      nested: { deep: [{ deeper: [null, undefined, true] }] },
      large: 2 ** 60,
      nan: Number.NaN,
      inf: Number.NEGATIVE_INFINITY,
    };
    const copy = roundTrip(value);
    expect(copy).toEqual(value);
    expect(Buffer.isBuffer(copy.buffer)).toBe(true);
    expect(copy.floats).toBeInstanceOf(Float64Array);
    expect(copy.regexp.flags).toBe('giu');
    expect(typeof copy.large).toBe('number');
    expect(copy.huge).toBe(10n ** 40n);
  });

  it('keeps cycles and shared references', () => {
    const shared = { id: 1 };
    const node: { self?: unknown; pair: unknown[] } = { pair: [shared, shared] };
    node.self = node;
    const copy = roundTrip(node);
    expect(copy.self).toBe(copy);
    expect(copy.pair[0]).toBe(copy.pair[1]);
  });

  it('decodes -0 as 0', () => {
    expect(Object.is(roundTrip(-0), 0)).toBe(true);
  });

  it('writes self-contained buffers another decoder reads without shared state', () => {
    const first = encodeValue({ a: 1, b: 'x' });
    const second = encodeValue([{ a: 2, b: 'y' }, new Map([[1, { a: 3, b: 'z' }]])]);
    const fresh = new Unpackr({ structuredClone: true, useBigIntExtension: true });
    expect(fresh.unpack(second)).toEqual([{ a: 2, b: 'y' }, new Map([[1, { a: 3, b: 'z' }]])]);
    expect(fresh.unpack(first)).toEqual({ a: 1, b: 'x' });
  });

  it('returns a Buffer whose decoded buffers do not share memory with it', () => {
    const encoded = encodeValue({ bytes: Buffer.from([1, 2, 3]) });
    expect(Buffer.isBuffer(encoded)).toBe(true);
    const copy = decodeValue(encoded) as { bytes: Buffer };
    encoded.fill(0);
    expect([...copy.bytes]).toEqual([1, 2, 3]);
  });

  it('rejects a value whose encoding exceeds the limit, stating its size', () => {
    const error = (() => {
      try {
        encodeValue({ blob: Buffer.alloc(2_000) }, 1_000);
      } catch (e) {
        return e;
      }
    })() as CacheValueError;
    expect(error).toBeInstanceOf(CacheValueError);
    expect(error.code).toBe('E_CACHE_VALUE');
    expect(error.message).toMatch(
      /^Cannot cache the value: it encodes to 20\d\d bytes, over the limit of 1000 bytes\.$/,
    );
    expect(error.bytes).toBeGreaterThan(2_000);
    expect(error.maxBytes).toBe(1_000);
  });

  it('limits values to DEFAULT_MAX_VALUE_BYTES (4 MiB) by default', () => {
    expect(DEFAULT_MAX_VALUE_BYTES).toBe(4 * 1024 * 1024);
    expect(() => encodeValue(Buffer.alloc(DEFAULT_MAX_VALUE_BYTES))).toThrow(/over the limit of 4194304 bytes/);
    expect(() => encodeValue(Buffer.alloc(DEFAULT_MAX_VALUE_BYTES - 100))).not.toThrow();
  });

  it('rejects a maxBytes that is not positive with InvalidArgumentError', () => {
    expect(() => encodeValue('x', 0)).toThrow(InvalidArgumentError);
    expect(() => encodeValue('x', Number.NaN)).toThrow('maxBytes must be a positive number of bytes, but got: NaN.');
  });

  it('rejects bytes it did not write with CacheValueError', () => {
    const truncated = encodeValue({ a: 'hello world', b: [1, 2, 3] }).subarray(0, 5);
    expect(() => decodeValue(truncated)).toThrow(CacheValueError);
    expect(() => decodeValue(Buffer.alloc(0))).toThrow(/^Cannot decode a cached value of 0 bytes: /);
  });
});

describe('assertSerializable', () => {
  class Track {
    constructor(readonly name: string) {}
    title(): string {
      return this.name.toUpperCase();
    }
  }

  it('accepts plain data, null-prototype objects, cycles and every supported type', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const values: unknown[] = [
      null,
      undefined,
      0,
      'text',
      1n,
      true,
      [],
      Object.assign(Object.create(null), { a: 1 }),
      { at: new Date(), map: new Map(), set: new Set(), buffer: Buffer.alloc(1), u8: new Uint8Array(1), re: /x/ },
      cyclic,
    ];
    for (const value of values) expect(() => assertSerializable(value)).not.toThrow();
  });

  it.each([
    [
      'a function',
      { tracks: [{ name: 'a' }, { play: () => {} }] },
      /^Cannot cache value\.tracks\[1\]\.play: it is a function/,
    ],
    ['a symbol', { kind: Symbol('kind') }, /^Cannot cache value\.kind: it is a symbol/],
    ['a symbol key', { [Symbol('id')]: 1 }, /^Cannot cache value: it has a symbol key \(Symbol\(id\)\)/],
    [
      'a class instance',
      { 'the track': new Track('x') },
      /^Cannot cache value\["the track"\]: it is an instance of Track, which would come back as a plain object/,
    ],
    ['an Error', [new Error('boom')], /^Cannot cache value\[0\]: it is an instance of Error/],
    ['a Promise', Promise.resolve(1), /^Cannot cache value: it is an instance of Promise/],
    ['a function in a Map', new Map([['k', () => 1]]), /^Cannot cache value\.get\("k"\): it is a function/],
    [
      'a class instance in a Set',
      new Set([new Track('x')]),
      /^Cannot cache value \(item #0 of the Set\): it is an instance of Track/,
    ],
  ])('rejects %s with CacheValueError naming the path', (_what, value, message) => {
    let error: unknown;
    try {
      assertSerializable(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CacheValueError);
    expect((error as CacheValueError).code).toBe('E_CACHE_VALUE');
    expect((error as CacheValueError).message).toMatch(message);
    expect(() => encodeValue(value)).toThrow(CacheValueError);
  });

  it('puts the path on the error', () => {
    try {
      assertSerializable({ a: { b: [() => 1] } });
      expect.unreachable();
    } catch (error) {
      expect((error as CacheValueError).path).toBe('value.a.b[0]');
    }
  });

  it('checks the encoded size only when given maxBytes', () => {
    const value = { text: 'x'.repeat(500) };
    expect(() => assertSerializable(value)).not.toThrow();
    expect(() => assertSerializable(value, 10_000)).not.toThrow();
    expect(() => assertSerializable(value, 100)).toThrow(/it encodes to 5\d\d bytes, over the limit of 100 bytes/);
  });
});
