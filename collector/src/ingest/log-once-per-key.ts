// Logs an event once per key (a peer address) per window, counting what it left out, so an
// agent retrying with a wrong token every few seconds is one line, not a flood. Bounded: the
// oldest keys are forgotten first.
export interface LogOncePerKey {
  /** Returns undefined when this key was logged within the window, else how many were left out since. */
  shouldLog(key: string): { suppressed: number } | undefined;
}

export function createLogOncePerKey(options: { windowMs: number; maxKeys: number; now?: () => number }): LogOncePerKey {
  const now = options.now ?? Date.now;
  const seen = new Map<string, { loggedAt: number; suppressed: number }>();
  return {
    shouldLog: (key) => {
      const entry = seen.get(key);
      const t = now();
      if (entry && t - entry.loggedAt < options.windowMs) {
        entry.suppressed++;
        return undefined;
      }
      const suppressed = entry?.suppressed ?? 0;
      seen.delete(key);
      seen.set(key, { loggedAt: t, suppressed: 0 });
      while (seen.size > options.maxKeys) seen.delete(seen.keys().next().value!);
      return { suppressed };
    },
  };
}

/** "192.0.2.11:40312" → "192.0.2.11", "[2001:db8::1]:40312" → "2001:db8::1"; other forms unchanged. */
export function peerHost(peer: string): string {
  const bracketed = /^\[([^\]]+)\]:\d+$/.exec(peer);
  if (bracketed) return bracketed[1]!;
  const plain = /^([^:]+):\d+$/.exec(peer);
  return plain ? plain[1]! : peer;
}
