// The agent's flags: data, validated once. Every flag also reads NETSENTRY_<FLAG>.
import { isValidCidr, isValidIp } from '../../shared/src/cidr.ts';
import { validateHostPort, type FlagSpecs } from '../../shared/src/flags.ts';

export const agentFlags = {
  collector: { type: 'string', required: true, description: 'collector gRPC address HOST:PORT', validate: validateHostPort },
  'node-name': { type: 'string', required: true, description: "this node's Kubernetes name (downward API spec.nodeName)" },
  network: {
    type: 'string',
    default: 'host',
    choices: ['host', 'pod'],
    description: 'host: DaemonSet with hostNetwork; pod: on the pod network',
  },
  'pod-network-probes': {
    type: 'string',
    default: 'pod-agent',
    choices: ['pod-agent', 'via-overlay'],
    description:
      "host agents: pod-agent = the node's pod agent answers for the pod network; via-overlay = this agent does (no pod DaemonSet): peers probe its flannel.1 address through the overlay (flannel VXLAN only), and it probes DNS and targets itself",
  },
  'probe-listen': {
    type: 'string',
    default: '0.0.0.0:7946',
    description: 'where to answer UDP/TCP probes, HOST:PORT',
    validate: validateHostPort,
  },
  overlay: {
    type: 'string',
    default: 'auto',
    choices: ['auto', 'flannel-vxlan', 'flannel-host-gw', 'none'],
    description: 'overlay kind to verify',
  },
  'overlay-device': { type: 'string', description: 'overlay device name (default: detected flannel.<VNI>)' },
  'pod-cidr': {
    type: 'list',
    description: "this node's pod CIDR(s), comma-separated (default: from the pod bridge)",
    validate: (v) => (v.split(',').every((c) => isValidCidr(c.trim())) ? undefined : 'must be CIDRs such as 198.18.1.0/24'),
  },
  'underlay-ip': {
    type: 'string',
    description: "this node's underlay IP (default: detected)",
    validate: (v) => (isValidIp(v) ? undefined : 'must be an IP address'),
  },
  'pod-bridge': { type: 'string', description: 'pod bridge device (default: cni0, else cbr0)' },
  'verify-interval': {
    type: 'duration',
    default: '30s',
    description: 'slow periodic verification pass (netlink changes trigger one at once)',
  },
  'netlink-debounce': { type: 'duration', default: '50ms', description: 'coalesce bursts of netlink changes into one verification' },
  'reconnect-max-backoff': { type: 'duration', default: '30s', description: 'longest wait between reconnect attempts' },
  'proc-root': { type: 'string', default: '/proc', description: 'procfs mount to read conntrack and sysctls from' },
  'probe-interval': {
    type: 'duration',
    default: '5s',
    description: 'mesh probe round interval (±10% jitter, at most 60s); 0 turns probing off',
  },
  'probe-timeout': { type: 'duration', default: '1s', description: 'timeout of each probe (UDP echo, TCP connect + echo, DNS query)' },
  'target-probes-per-round': {
    type: 'integer',
    default: '256',
    description: 'pod agents: target addresses (Service addresses and endpoints) probed per round at most; above, a rotating window',
    validate: (v) => (Number(v) >= 1 && Number(v) <= 2048 ? undefined : 'must be 1..2048'),
  },
  'probe-concurrency': { type: 'integer', default: '32', description: 'peers probed at the same time within a round' },
  'probe-buffer-batches': {
    type: 'integer',
    default: '60',
    description:
      'probe batches kept while the collector is unreachable (oldest dropped first; also capped at 50,000 results), sent dated after the reconnect',
  },
  'full-mesh-max-peers': {
    type: 'integer',
    default: '100',
    description: 'probe every peer every round up to this many peer nodes; above, a rotating sample',
  },
  'sample-size': {
    type: 'integer',
    default: '32',
    description:
      'above the full-mesh threshold: peer nodes per round (plus suspects); every peer is probed within ceil(peers / sample-size) rounds',
    validate: (v) => (Number(v) >= 1 ? undefined : 'must be at least 1'),
  },
  'prober-thread': {
    type: 'string',
    default: 'worker',
    choices: ['worker', 'main'],
    description:
      "worker: probe sockets and timing in a worker thread, away from gRPC and verification; main: in the main thread (~19 MiB less RSS; RTTs then include the main loop's stalls, which each batch's event-loop delay reports)",
  },
  'probe-report': {
    type: 'string',
    default: 'exception',
    choices: ['exception', 'results'],
    description:
      'exception: per-path summaries for paths that lost a probe, recovered or left their RTT band, the rest named in coverage groups; results: one result per probe (older collectors)',
  },
  'dns-server': {
    type: 'string',
    description:
      'resolver for DNS probes HOST:PORT, or off (default: pod mode the first nameserver in /etc/resolv.conf, port 53; host mode off)',
    validate: (v) => (v === 'off' ? undefined : validateHostPort(v)),
  },
  'dns-name': { type: 'string', default: 'kubernetes.default.svc.cluster.local', description: 'name the DNS probes ask for (type A)' },
  'pod-ip': {
    type: 'string',
    description: "pod mode: this pod's IP (default: first non-internal IPv4 address)",
    validate: (v) => (isValidIp(v) ? undefined : 'must be an IP address'),
  },
  'tls-ca-file': {
    type: 'string',
    description: 'PEM CA bundle to verify the collector with; turns TLS on (absent = plaintext); re-read when it changes',
  },
  'tls-server-name': {
    type: 'string',
    description: "name (or IP) to verify the collector's certificate against and send as SNI (default: the --collector host)",
  },
  'tls-cert-file': { type: 'string', description: 'PEM client certificate for mutual TLS (with --tls-key-file); re-read when it changes' },
  'tls-key-file': { type: 'string', description: 'PEM private key of --tls-cert-file' },
  'auth-token-file': {
    type: 'string',
    description: 'file whose first token is sent as authorization: Bearer <token>; re-read when it changes',
  },
  'log-level': { type: 'string', default: 'info', choices: ['debug', 'info', 'warn', 'error'], description: 'log level' },
} as const satisfies FlagSpecs;
