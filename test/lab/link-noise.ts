// Makes one node's underlay drop counter climb without touching its traffic: frames of the
// local-experimental EtherType 0x88B5, which no protocol handler takes, sent from the node's
// port on the underlay bridge (in the underlay namespace) straight to the node's eth0. The
// node's kernel counts each one in eth0's rx_dropped (/sys/class/net/eth0/statistics) and
// drops it; no other node sees them, since they leave through that one veth and never cross
// the bridge. A small python3 program (AF_PACKET needs a raw socket, which Node lacks),
// bounded in count and rate, started under the lab's process registry and stopped by its pid.
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const DEVICE = /^[A-Za-z0-9_.-]{1,15}$/;
export const maxNoiseFrames = 20_000;
export const maxNoisePerSecond = 200;

const program = `
import socket, sys, time
dev, dst, count, rate = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
frame = bytes.fromhex(dst.replace(':', '')) + s.getsockname()[4] + bytes([0x88, 0xb5]) + bytes(46)
print('{"msg":"sending"}', flush=True)
for _ in range(count):
    s.send(frame)
    time.sleep(1 / rate)
print('{"msg":"done"}', flush=True)
`;

/** argv for lab.start(lab.underlayNs, …): `count` frames to `dstMac` out of `device`, `perSecond` a second. */
export function junkFramesArgv(device: string, dstMac: string, count: number, perSecond: number): string[] {
  if (!DEVICE.test(device)) throw new Error(`bad device name ${JSON.stringify(device)}`);
  const mac = dstMac.toLowerCase();
  if (!MAC.test(mac)) throw new Error(`bad MAC ${JSON.stringify(dstMac)}`);
  if (!Number.isInteger(count) || count < 1 || count > maxNoiseFrames) throw new Error(`frame count ${count} not in 1..${maxNoiseFrames}`);
  if (!(perSecond > 0 && perSecond <= maxNoisePerSecond)) throw new Error(`rate ${perSecond} not in (0, ${maxNoisePerSecond}]`);
  return ['python3', '-c', program, device, mac, String(count), String(perSecond)];
}
