// The probe message, UDP datagram or TCP frame:
//   0  u32 magic "NSP1"        4  u16 kind (1 request, 2 reply)   6  u16 total length
//   8  u32 sequence           12  u32 sender timestamp (µs, informational)
//  16  u8  sender network (proto Network: 1 host, 2 pod)
//  17  u8  sender node name length n (1..253, a Kubernetes node name)   18  n bytes node name (UTF-8)   then zero padding.
// A reply is the request with the kind flipped, so it is never larger than the request and
// still names the original sender. The total length at offset 6 frames TCP streams.
export const probeMagic = 0x4e535031; // "NSP1"
export const probeHeaderBytes = 16;
export const maxProbeBytes = 9000;
export const maxNodeNameBytes = 253;
/** Requests at least this large (UDP payload or TCP frame) are the large end of the size ladder. */
export const largeProbeBytes = 1000;

export const probeKind = { request: 1, reply: 2 } as const;
/** Same numbers as the proto Network enum. */
export const probeNetwork = { host: 1, pod: 2 } as const;

export interface ProbeIdentity {
  nodeName: string;
  network: number;
}

export interface ProbeMessage extends ProbeIdentity {
  kind: number;
  sequence: number;
  sentAtMicros: number;
  sizeBytes: number;
}

const identityOffset = probeHeaderBytes;

/** The smallest message that carries this sender's identity. */
export function minProbeBytes(identity: ProbeIdentity): number {
  return identityOffset + 2 + Buffer.byteLength(identity.nodeName);
}

/** Throws on a bad identity: that is a programming or config error, not a probe failure. */
export function checkIdentity(identity: ProbeIdentity): void {
  const n = Buffer.byteLength(identity.nodeName);
  if (n < 1 || n > maxNodeNameBytes) throw new RangeError(`probe node name must be 1..${maxNodeNameBytes} bytes, got ${n}`);
  if (identity.network !== probeNetwork.host && identity.network !== probeNetwork.pod)
    throw new RangeError(`bad probe network ${identity.network}`);
}

export function encodeProbe(message: Omit<ProbeMessage, 'sizeBytes'>, sizeBytes = 0): Buffer {
  checkIdentity(message);
  const buf = Buffer.alloc(Math.max(minProbeBytes(message), Math.min(sizeBytes, maxProbeBytes)));
  buf.writeUInt32BE(probeMagic, 0);
  buf.writeUInt16BE(message.kind, 4);
  buf.writeUInt16BE(buf.length, 6);
  buf.writeUInt32BE(message.sequence >>> 0, 8);
  buf.writeUInt32BE(message.sentAtMicros >>> 0, 12);
  buf.writeUInt8(message.network, identityOffset);
  const written = buf.write(message.nodeName, identityOffset + 2, 'utf8');
  buf.writeUInt8(written, identityOffset + 1);
  return buf;
}

/** Returns undefined for anything that is not a well-formed probe of bounded size. */
export function decodeProbe(buf: Buffer): ProbeMessage | undefined {
  if (buf.length < identityOffset + 3 || buf.length > maxProbeBytes) return undefined;
  if (buf.readUInt32BE(0) !== probeMagic) return undefined;
  const kind = buf.readUInt16BE(4);
  if (kind !== probeKind.request && kind !== probeKind.reply) return undefined;
  if (buf.readUInt16BE(6) !== buf.length) return undefined;
  const network = buf.readUInt8(identityOffset);
  if (network !== probeNetwork.host && network !== probeNetwork.pod) return undefined;
  const nameBytes = buf.readUInt8(identityOffset + 1);
  if (nameBytes < 1 || nameBytes > maxNodeNameBytes || identityOffset + 2 + nameBytes > buf.length) return undefined;
  return {
    kind,
    sequence: buf.readUInt32BE(8),
    sentAtMicros: buf.readUInt32BE(12),
    network,
    nodeName: buf.toString('utf8', identityOffset + 2, identityOffset + 2 + nameBytes),
    sizeBytes: buf.length,
  };
}

/** The reply to a request: the same bytes with the kind flipped. */
export function toReply(request: Buffer): Buffer {
  const out = Buffer.from(request);
  out.writeUInt16BE(probeKind.reply, 4);
  return out;
}
