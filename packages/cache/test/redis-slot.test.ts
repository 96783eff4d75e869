import { describe, expect, it } from 'vitest';
import { redisSlot } from '../src/index.js';

// Expected slots are CLUSTER KEYSLOT answers of a live Redis 7 (cluster-enabled) server.
describe('redisSlot follows Redis Cluster hash tags as the server does', () => {
  it('hashes the first non-empty {tag}, else the whole key', () => {
    expect(redisSlot('foo')).toBe(12182);
    expect(redisSlot('{user1000}.following')).toBe(redisSlot('user1000'));
  });

  it('treats an empty first tag as no tag, even when a later } closes another brace pair', () => {
    // cluster-key-slot 1.1.1 (ioredis 6's) answers 4015 here: the slot of "{bar" (docs/decisions.md).
    expect(redisSlot('foo{}{bar}')).toBe(8363);
  });
});
