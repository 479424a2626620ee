// Which addresses a mesh probe may be sent to. A peer's probe address comes from a hello
// (any token holder can send one), so it must never turn every agent into a prober of the
// node itself (loopback), the cloud metadata service (link-local 169.254.169.254), a
// multicast group or the unspecified address.
import { isIP } from 'node:net';

/** Why `ip` is not a probe target, or undefined when it may be probed. */
export function unprobeableReason(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 4) {
    const [a, b] = ip.split('.').map(Number) as [number, number];
    if (a === 0) return 'unspecified (0.0.0.0/8)';
    if (a === 127) return 'loopback';
    if (a === 169 && b === 254) return 'link-local (169.254.0.0/16, the metadata service among them)';
    if (a >= 224 && a <= 239) return 'multicast';
    if (a >= 240) return 'reserved or broadcast';
    return undefined;
  }
  if (family === 6) {
    const lower = ip.toLowerCase();
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    if (mapped) return unprobeableReason(mapped[1]!);
    if (lower === '::' || /^0*:(0*:)*0*$/.test(lower)) return 'unspecified';
    if (/^(0*:)*0*:0*1$/.test(lower) || lower === '::1') return 'loopback';
    if (/^fe[89ab]/.test(lower)) return 'link-local (fe80::/10)';
    if (lower.startsWith('ff')) return 'multicast';
    return undefined;
  }
  return 'not an IP address';
}
