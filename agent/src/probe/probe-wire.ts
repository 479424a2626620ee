// The probe datagram: magic, kind, sequence, sender timestamp, then padding up to the probe size.
// A reply is the request with the kind flipped, so it is never larger than the request.
export const probeMagic = 0x4e535031; // "NSP1"
export const probeHeaderBytes = 16;
export const maxProbeBytes = 9000;

export const probeKind = { request: 1, reply: 2 } as const;

export interface ProbeHeader {
  kind: number;
  sequence: number;
  sentAtMicros: number;
}

export function encodeProbe(header: ProbeHeader, sizeBytes = probeHeaderBytes): Buffer {
  const buf = Buffer.alloc(Math.max(probeHeaderBytes, Math.min(sizeBytes, maxProbeBytes)));
  buf.writeUInt32BE(probeMagic, 0);
  buf.writeUInt16BE(header.kind, 4);
  // Total length, so a TCP stream can be framed and a UDP datagram checked.
  buf.writeUInt16BE(buf.length, 6);
  buf.writeUInt32BE(header.sequence >>> 0, 8);
  buf.writeUInt32BE(header.sentAtMicros >>> 0, 12);
  return buf;
}

/** Returns undefined for anything that is not a well-formed probe of bounded size. */
export function decodeProbe(buf: Buffer): ProbeHeader | undefined {
  if (buf.length < probeHeaderBytes || buf.length > maxProbeBytes) return undefined;
  if (buf.readUInt32BE(0) !== probeMagic) return undefined;
  const kind = buf.readUInt16BE(4);
  if (kind !== probeKind.request && kind !== probeKind.reply) return undefined;
  if (buf.readUInt16BE(6) !== buf.length) return undefined;
  return { kind, sequence: buf.readUInt32BE(8), sentAtMicros: buf.readUInt32BE(12) };
}
