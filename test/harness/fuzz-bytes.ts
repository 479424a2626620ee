// Seeded randomness and byte mutations for the fuzz tests: the same seed gives the same
// inputs, so a failure reproduces (NETSENTRY_FUZZ_SEED=<seed>).

/** mulberry32: small, fast, good enough to pick mutations. Returns floats in [0, 1). */
export function createPrng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const fuzzSeed = (): number => {
  const fromEnv = process.env.NETSENTRY_FUZZ_SEED;
  return fromEnv !== undefined && /^\d+$/.test(fromEnv) ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31);
};

export const randomInt = (rand: () => number, max: number): number => Math.floor(rand() * max);

export function randomBytes(rand: () => number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = randomInt(rand, 256);
  return out;
}

/** One to four mutations: bit flips, byte overwrites, interesting values, truncation, insertion, duplication, removal. */
export function mutate(rand: () => number, input: Uint8Array): Buffer {
  let bytes = Buffer.from(input);
  // Half the time one small change, so many inputs still decode and reach the validators.
  const rounds = rand() < 0.5 ? 1 : 2 + randomInt(rand, 3);
  for (let r = 0; r < rounds; r++) {
    const at = bytes.length > 0 ? randomInt(rand, bytes.length) : 0;
    switch (randomInt(rand, 9)) {
      case 0:
        if (bytes.length > 0) bytes[at] = bytes[at]! ^ (1 << randomInt(rand, 8));
        break;
      case 1:
        if (bytes.length > 0) bytes[at] = randomInt(rand, 256);
        break;
      case 2:
        if (bytes.length > 0) bytes[at] = [0x00, 0x7f, 0x80, 0xff, 0x01][randomInt(rand, 5)]!;
        break;
      case 3:
        bytes = bytes.subarray(0, at);
        break;
      case 4:
        bytes = Buffer.concat([bytes.subarray(0, at), randomBytes(rand, 1 + randomInt(rand, 16)), bytes.subarray(at)]);
        break;
      case 5: {
        const len = Math.min(bytes.length - at, 1 + randomInt(rand, 32));
        bytes = Buffer.concat([bytes.subarray(0, at + len), bytes.subarray(at, at + len), bytes.subarray(at + len)]);
        break;
      }
      case 6: {
        const len = 1 + randomInt(rand, 8);
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + len)]);
        break;
      }
      case 7:
        // A varint-ish run of 0xff: huge lengths and field numbers.
        bytes = Buffer.concat([
          bytes.subarray(0, at),
          Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
          bytes.subarray(at),
        ]);
        break;
      default:
        // A single varint byte nudged: changes numbers, lengths and enum values in place.
        if (bytes.length > 0) bytes[at] = (bytes[at]! + (rand() < 0.5 ? 1 : 255)) & 0xff;
    }
  }
  return bytes;
}
