// The collector's flags: data, validated once. Every flag also reads NETSENTRY_<FLAG>.
import { validateHostPort, type FlagSpecs } from '../../shared/src/flags.ts';

export const collectorFlags = {
  'grpc-listen': {
    type: 'string',
    default: '0.0.0.0:7443',
    description: 'gRPC address agents connect to, HOST:PORT',
    validate: validateHostPort,
  },
  'http-listen': {
    type: 'string',
    default: '0.0.0.0:8080',
    description: 'HTTP address for /metrics, /api/v1 and the page, HOST:PORT',
    validate: validateHostPort,
  },
  'heartbeat-interval': { type: 'duration', default: '5s', description: 'how often agents send a heartbeat' },
  'report-interval': { type: 'duration', default: '30s', description: 'how often agents re-send a full node report when nothing changed' },
  'agent-missing-after': {
    type: 'duration',
    default: '20s',
    description: 'a node whose agent is silent this long gets an AgentMissing finding',
  },
  'converge-grace': {
    type: 'duration',
    default: '60s',
    description:
      "a node joining, or whose overlay device is recreated, has this long for the overlay to converge before findings about it (and peers' overlay problems toward it) show; ends early once converged. Nodes first seen this soon after the collector starts are taken as members reconnecting",
  },
  'node-expiry': { type: 'duration', default: '10m', description: 'a node silent this long is forgotten and leaves every peer set' },
  'peer-set-debounce': { type: 'duration', default: '200ms', description: 'coalesce membership changes into one peer-set push' },
  'ingest-turn-budget': {
    type: 'duration',
    default: '50ms',
    description:
      'agent messages folded per event-loop turn before the streams that deliver more wait for the next turn (0 = no pacing): a collector behind its input keeps running findings passes and /metrics',
  },
  'resolved-retention': { type: 'duration', default: '15m', description: 'how long resolved findings stay visible in ?state=all' },
  'grpc-max-receive-bytes': {
    type: 'integer',
    default: '1048576',
    description: 'largest gRPC message accepted from an agent, bytes (gRPC default is 4 MiB; a 5,000-node report fits in 1 MiB)',
    validate: (v) => (Number(v) >= 4096 && Number(v) <= 4 * 1024 * 1024 ? undefined : 'must be 4096..4194304'),
  },
  'max-streams': {
    type: 'integer',
    default: '12000',
    description: 'open agent streams in total (two agents per node, 5,000 nodes, with room); 0 = no cap',
  },
  'max-streams-per-peer': { type: 'integer', default: '8', description: 'open agent streams from one peer IP address; 0 = no cap' },
  'agent-message-rate': {
    type: 'integer',
    default: '20',
    description:
      'messages per second one agent stream may send, sustained (bursts of 10 s worth pass); beyond it the stream is closed with RESOURCE_EXHAUSTED; 0 = no limit',
  },
  'max-nodes': {
    type: 'integer',
    default: '6000',
    description: 'nodes the collector keeps; a hello for a new node beyond it is refused with RESOURCE_EXHAUSTED; 0 = no cap',
  },
  'hellos-per-second': {
    type: 'integer',
    default: '500',
    description:
      'hellos accepted per second, all agents together (bursts of 5 s worth pass); beyond it RESOURCE_EXHAUSTED, the agent retries with backoff; 0 = no limit',
  },
  'max-report-bytes': {
    type: 'integer',
    default: '67108864',
    description:
      'encoded bytes of agent reports kept, all agents together (64 MiB; a healthy report is ~1 KB, the worst ~35 KB); a report beyond it is dropped and counted, the previous one stays; 0 = no cap',
  },
  'max-findings-per-node': {
    type: 'integer',
    default: '100',
    description:
      'findings naming one node, at most (already open ones first, then root causes); the rest are left out, counted and logged once per node a minute; 0 = no cap',
  },
  'shutdown-grace': { type: 'duration', default: '5s', description: 'how long SIGTERM waits for streams to drain' },
  'tls-cert-file': {
    type: 'string',
    description: 'PEM certificate (chain) for the gRPC port; with --tls-key-file turns TLS on; re-read when it changes',
  },
  'tls-key-file': { type: 'string', description: 'PEM private key of --tls-cert-file; re-read when it changes' },
  'tls-client-ca-file': {
    type: 'string',
    description: 'PEM CA bundle: require agents to present a client certificate signed by it (mutual TLS)',
  },
  'http-auth-token-file': {
    type: 'string',
    description:
      'file with the bearer token(s) /api/v1/* requires, one per line; re-read when it changes (absent = the API is open; /healthz, /readyz and the page files stay open)',
  },
  'http-tls-cert-file': {
    type: 'string',
    description:
      'PEM certificate (chain) for the HTTP port; with --http-tls-key-file the port serves HTTPS only (probes and scrapes then use https); re-read when it changes',
  },
  'http-tls-key-file': { type: 'string', description: 'PEM private key of --http-tls-cert-file; re-read when it changes' },
  'http-tls-client-ca-file': {
    type: 'string',
    description:
      'PEM CA bundle: require every HTTP client to present a certificate signed by it (mutual TLS; kubelet probes then need a TCP probe)',
  },
  'http-auth-metrics': {
    type: 'string',
    default: 'false',
    choices: ['true', 'false'],
    description: 'with --http-auth-token-file, also require the token for /metrics',
  },
  'auth-token-file': {
    type: 'string',
    description: 'file with the bearer token(s) agents must present, one per line; re-read when it changes (absent = no authentication)',
  },
  'max-connection-age': {
    type: 'duration',
    default: '30m',
    description: 'GOAWAY to an agent connection after this age (±10%) so agents rebalance across replicas; 0 = never',
  },
  'max-connection-age-grace': {
    type: 'duration',
    default: '10s',
    description: 'how long a connection past its age may stay open before it is closed',
  },
  kubernetes: {
    type: 'string',
    default: 'auto',
    choices: ['auto', 'on', 'off'],
    description:
      'read Nodes from the Kubernetes API as the source of truth: auto = the in-cluster config when present, else --kubeconfig when given, else off (logged once); on = fail at start-up without one',
  },
  'token-audience': {
    type: 'string',
    default: 'netsentry',
    description:
      "with the API on and no --auth-token-file: the audience agents' projected ServiceAccount tokens must carry (checked by TokenReview)",
  },
  'write-back': {
    type: 'string',
    default: 'off',
    choices: ['on', 'off'],
    description:
      'with the API on: an Event on the Node when a root-cause finding opens and resolves, and the node condition NetsentryNetworkProblem',
  },
  'write-back-hysteresis': {
    type: 'duration',
    default: '30s',
    description: 'the node condition changes only after the state held this long',
  },
  'write-back-events-per-minute': {
    type: 'integer',
    default: '6',
    description: 'Events per node per minute at most (bursts of as many pass); beyond it they are dropped and counted',
  },
  'targets-file': {
    type: 'string',
    description:
      'YAML file of targets pod agents probe from every node: `targets: [{name, protocol: tcp|dns, address: IP:PORT, endpoints: [IP:PORT, …], query?}]` (at most 64 targets × 32 endpoints); re-read when it changes',
  },
  'kubernetes-targets': {
    type: 'string',
    default: 'true',
    choices: ['true', 'false'],
    description:
      'with the API on: also probe the kube-dns and kubernetes Services and every Service labelled netsentry.io/probe="true", with their EndpointSlices (merged with --targets-file; a file entry wins on a name clash; 64 targets in all)',
  },
  'target-startup-grace': {
    type: 'duration',
    default: '60s',
    description: 'an address a pod agent never reached since it started is info ("not reachable yet") this long, then a finding',
  },
  kubeconfig: { type: 'string', description: 'kubeconfig file for --kubernetes auto|on outside a cluster' },
  'log-level': { type: 'string', default: 'info', choices: ['debug', 'info', 'warn', 'error'], description: 'log level' },
} as const satisfies FlagSpecs;
