import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { healthyDigest } from './backend.ts';

const reference = (chains: string[]): string =>
  createHash('sha256')
    .update([...chains].sort().join('\n'))
    .digest('hex')
    .slice(0, 16);

describe('healthyDigest', () => {
  it('is the sha256 of the sorted chains, also when asked again with the same or changed chains', () => {
    const a = ['198.18.2.0/24 via 198.18.2.0 dev flannel.1 onlink', '198.18.3.0/24 via 198.18.3.0 dev flannel.1 onlink'];
    expect(healthyDigest(a)).toBe(reference(a));
    expect(healthyDigest([...a])).toBe(reference(a));
    expect(healthyDigest([...a].reverse())).toBe(reference(a));
    const changed = [a[0]!, '198.18.4.0/24 via 198.18.4.0 dev flannel.1 onlink'];
    expect(healthyDigest(changed)).toBe(reference(changed));
    expect(healthyDigest(changed)).not.toBe(reference(a));
    // The input is not kept by reference: changing the caller's array does not fool the memo.
    const mutable = [...a];
    expect(healthyDigest(mutable)).toBe(reference(a));
    mutable[1] = 'x';
    expect(healthyDigest(mutable)).toBe(reference(mutable));
    expect(healthyDigest([])).toBe(reference([]));
  });
});
