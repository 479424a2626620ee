// Every field of a Hello is checked before it touches the model; the first problem is returned.
import type { Hello } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { Network, OverlayKind } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { cidrContains, isValidCidr, isValidIp, isValidMac } from '../../../shared/src/cidr.ts';
import { unprobeableReason } from '../../../shared/src/probe-address.ts';

// Kubernetes node names are DNS-1123 subdomains: at most 253 characters.
const nodeNamePattern = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const maxAddresses = 16;
const maxPodCidrs = 8;
// Empty for agents that predate it; a UUID from ours.
const instanceIdPattern = /^[A-Za-z0-9_-]{0,64}$/;
const overlayKinds = new Set<number>([OverlayKind.UNSPECIFIED, OverlayKind.NONE, OverlayKind.FLANNEL_VXLAN, OverlayKind.FLANNEL_HOST_GW]);
const maxUnixMs = 253_402_300_799_000n; // 9999-12-31

export function validateHello(hello: Hello): string | undefined {
  if (hello.nodeName === '') return 'hello.node_name is empty';
  if (!nodeNamePattern.test(hello.nodeName)) return `hello.node_name '${hello.nodeName.slice(0, 64)}' is not a valid Kubernetes node name`;
  if (hello.network !== Network.HOST && hello.network !== Network.POD) return 'hello.network must be NETWORK_HOST or NETWORK_POD';
  if (hello.addresses.length === 0) return 'hello.addresses is empty';
  if (hello.addresses.length > maxAddresses) return `hello.addresses has more than ${maxAddresses} entries`;
  for (const address of hello.addresses) if (!isValidIp(address)) return `hello.addresses: '${address.slice(0, 64)}' is not an IP address`;
  if (hello.podCidrs.length > maxPodCidrs) return `hello.pod_cidrs has more than ${maxPodCidrs} entries`;
  for (const cidr of hello.podCidrs) if (!isValidCidr(cidr)) return `hello.pod_cidrs: '${cidr.slice(0, 64)}' is not a valid CIDR`;
  if (hello.probeAddress !== '' && !isValidIp(hello.probeAddress))
    return `hello.probe_address '${hello.probeAddress.slice(0, 64)}' is not an IP address`;
  // Every agent probes this address: it must not point them at loopback, the metadata service or a multicast group.
  const unprobeable = hello.probeAddress !== '' ? unprobeableReason(hello.probeAddress) : undefined;
  if (unprobeable) return `hello.probe_address '${hello.probeAddress}' cannot be a probe target: ${unprobeable}`;
  if (hello.probePort > 65535) return 'hello.probe_port is out of range';
  if (hello.podProbeAddress !== '') {
    // Peers probe it as this node's pod-network peer: a host agent's overlay-device address, inside its own pod CIDRs.
    const text = hello.podProbeAddress.slice(0, 64);
    if (hello.network !== Network.HOST) return 'hello.pod_probe_address is only for host agents';
    if (!isValidIp(hello.podProbeAddress)) return `hello.pod_probe_address '${text}' is not an IP address`;
    const unprobeablePod = unprobeableReason(hello.podProbeAddress);
    if (unprobeablePod) return `hello.pod_probe_address '${text}' cannot be a probe target: ${unprobeablePod}`;
    if (!hello.podCidrs.some((cidr) => cidrContains(cidr, hello.podProbeAddress)))
      return `hello.pod_probe_address '${text}' is not inside hello.pod_cidrs`;
  }
  if (hello.agentVersion.length > 64) return 'hello.agent_version is longer than 64 characters';
  if (!instanceIdPattern.test(hello.instanceId)) return 'hello.instance_id is longer than 64 characters or not [A-Za-z0-9_-]';
  if (hello.startedAtUnixMs < 0n || hello.startedAtUnixMs > maxUnixMs) return 'hello.started_at_unix_ms is out of range';
  const overlay = hello.overlay;
  if (overlay) {
    if (!overlayKinds.has(overlay.kind)) return `hello.overlay.kind ${overlay.kind} is not a known overlay kind`;
    if (overlay.name.length > 15) return `hello.overlay.name '${overlay.name.slice(0, 64)}' is longer than a Linux interface name`;
    if (overlay.underlayDevice.length > 15)
      return `hello.overlay.underlay_device '${overlay.underlayDevice.slice(0, 64)}' is longer than a Linux interface name`;
    if (overlay.mtu > 65_535 || overlay.underlayMtu > 65_535) return 'hello.overlay.mtu or underlay_mtu is out of range';
    if (overlay.kind === OverlayKind.FLANNEL_VXLAN) {
      if (!isValidMac(overlay.vtepMac)) return `hello.overlay.vtep_mac '${overlay.vtepMac.slice(0, 64)}' is not a MAC address`;
      if (overlay.vtepIp !== '' && !isValidIp(overlay.vtepIp))
        return `hello.overlay.vtep_ip '${overlay.vtepIp.slice(0, 64)}' is not an IP address`;
    }
    if (overlay.vni > 0xffffff) return 'hello.overlay.vni is out of range';
    if (overlay.port > 65535) return 'hello.overlay.port is out of range';
  }
  return undefined;
}
