import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect, it } from 'vitest';
import { InvoiceLine } from '../../../examples/chinook/src/entities/index.js';
import { describeEachDriver } from '../../../test/harness/index.js';
import { useChinook } from '../../../test/support/use-chinook.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const MB = 1024 * 1024;

describeEachDriver('BaseRepository.stream memory', (ctx) => {
  // scale 100: 224 000 invoice lines.
  const chinook = useChinook(ctx, { scale: 100 });

  it('streams all 224k scaled invoice lines while the heap grows by less than 50 MB', async () => {
    const lines = chinook.em().getRepository(InvoiceLine);
    const baseline = heapAfterGc();
    let peak = 0;
    let count = 0;
    let quantity = 0;
    for await (const line of lines.stream({}, { batchSize: 2000 })) {
      count++;
      quantity += line.quantity;
      if (count % 20_000 === 0) {
        peak = Math.max(peak, heapAfterGc() - baseline);
      }
    }
    peak = Math.max(peak, heapAfterGc() - baseline);
    expect(count).toBe(224_000);
    const [sum] = await chinook
      .em()
      .getRepository(InvoiceLine)
      .aggregate({ metrics: { total: { sum: 'quantity' } } });
    expect(quantity).toBe(sum!.total);
    console.info(`stream on ${ctx.driver}: 224k rows, peak retained heap growth ${(peak / MB).toFixed(1)} MB`);
    expect(peak / MB).toBeLessThan(50);
  }, 300_000);

  it('would not fit that bound if it loaded the same rows at once (the measure can fail)', async () => {
    const baseline = heapAfterGc();
    const all = await chinook.em().find(InvoiceLine, {}, { disableIdentityMap: true });
    const held = heapAfterGc() - baseline;
    expect(all).toHaveLength(224_000);
    console.info(`find() on ${ctx.driver}: 224k rows at once hold ${(held / MB).toFixed(1)} MB`);
    expect(held / MB).toBeGreaterThan(50);
  }, 300_000);
});
