// startRedisServer / useRedisServer against a real redis-server process.
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { pingRedis, startRedisServer, useRedisServer } from '../harness/index.js';

describe('startRedisServer', () => {
  it('answers PING on a loopback port, kill() makes it unreachable, restart() brings it back empty', async () => {
    const server = await startRedisServer();
    try {
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
      expect(server.running).toBe(true);
      expect(server.pid).toBeGreaterThan(0);
      expect(await pingRedis(server.port)).toBe(true);

      const client = new Redis(server.url, { lazyConnect: true });
      await client.connect();
      await client.set('k', 'v');
      expect(await client.get('k')).toBe('v');
      expect(await client.config('GET', 'save')).toEqual(['save', '']);
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
      expect(await client.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
      client.disconnect();

      await server.kill();
      expect(server.running).toBe(false);
      expect(server.pid).toBeUndefined();
      expect(await pingRedis(server.port)).toBe(false);
      await server.kill(); // idempotent
      await server.stop(); // also fine after a kill

      const port = server.port;
      await server.restart();
      expect(server.port).toBe(port);
      expect(await pingRedis(server.port)).toBe(true);
      const again = new Redis(server.url);
      expect(await again.get('k')).toBeNull();
      again.disconnect();
    } finally {
      await server.stop();
    }
    expect(await pingRedis(server.port)).toBe(false);
    await server.stop(); // idempotent
  });

  it('stop() shuts down gracefully (SIGTERM) and can run concurrently with itself', async () => {
    const server = await startRedisServer();
    await Promise.all([server.stop(), server.stop()]);
    expect(server.running).toBe(false);
    expect(await pingRedis(server.port)).toBe(false);
  });

  it('gives every server its own port', async () => {
    const [a, b] = await Promise.all([startRedisServer(), startRedisServer()]);
    try {
      expect(a.port).not.toBe(b.port);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('rejects with the server output when redis-server cannot start', async () => {
    await expect(startRedisServer({ args: ['--no-such-option', 'x'] })).rejects.toThrow(/exited before answering PING/);
    await expect(startRedisServer({ binary: '/nonexistent/redis-server' })).rejects.toThrow(/ENOENT/);
  });
});

describe('useRedisServer', () => {
  const server = useRedisServer();

  it('is running inside the suite', async () => {
    expect(await pingRedis(server.port)).toBe(true);
  });

  it('survives a crash and a restart', async () => {
    await server.kill();
    expect(await pingRedis(server.port)).toBe(false);
    await server.restart();
    expect(await pingRedis(server.port)).toBe(true);
  });
});
