// The collector's flags: data, validated once. Every flag also reads NETSENTRY_<FLAG>.
import { validateHostPort, type FlagSpecs } from '../../shared/src/flags.ts';

export const collectorFlags = {
  'grpc-listen': { type: 'string', default: '0.0.0.0:7443', description: 'gRPC address agents connect to, HOST:PORT', validate: validateHostPort },
  'http-listen': { type: 'string', default: '0.0.0.0:8080', description: 'HTTP address for /metrics, /api/v1 and the page, HOST:PORT', validate: validateHostPort },
  'heartbeat-interval': { type: 'duration', default: '5s', description: 'how often agents send a heartbeat' },
  'report-interval': { type: 'duration', default: '30s', description: 'how often agents re-send a full node report when nothing changed' },
  'agent-missing-after': { type: 'duration', default: '20s', description: 'a node whose agent is silent this long gets an AgentMissing finding' },
  'converge-grace': { type: 'duration', default: '60s', description: 'a node joining, or whose overlay device is recreated, has this long for the overlay to converge before findings about it (and peers\' overlay problems toward it) show; ends early once converged. Nodes first seen this soon after the collector starts are taken as members reconnecting' },
  'node-expiry': { type: 'duration', default: '10m', description: 'a node silent this long is forgotten and leaves every peer set' },
  'peer-set-debounce': { type: 'duration', default: '200ms', description: 'coalesce membership changes into one peer-set push' },
  'resolved-retention': { type: 'duration', default: '15m', description: 'how long resolved findings stay visible in ?state=all' },
  'grpc-max-receive-bytes': { type: 'integer', default: '1048576', description: 'largest gRPC message accepted from an agent, bytes (gRPC default is 4 MiB; a 5,000-node report fits in 1 MiB)', validate: (v) => (Number(v) >= 4096 && Number(v) <= 4 * 1024 * 1024 ? undefined : 'must be 4096..4194304') },
  'max-streams': { type: 'integer', default: '12000', description: 'open agent streams in total (two agents per node, 5,000 nodes, with room); 0 = no cap' },
  'max-streams-per-peer': { type: 'integer', default: '8', description: 'open agent streams from one peer IP address; 0 = no cap' },
  'agent-message-rate': { type: 'integer', default: '20', description: 'messages per second one agent stream may send, sustained (bursts of 10 s worth pass); beyond it the stream is closed with RESOURCE_EXHAUSTED; 0 = no limit' },
  'shutdown-grace': { type: 'duration', default: '5s', description: 'how long SIGTERM waits for streams to drain' },
  'tls-cert-file': { type: 'string', description: 'PEM certificate (chain) for the gRPC port; with --tls-key-file turns TLS on; re-read when it changes' },
  'tls-key-file': { type: 'string', description: 'PEM private key of --tls-cert-file; re-read when it changes' },
  'tls-client-ca-file': { type: 'string', description: 'PEM CA bundle: require agents to present a client certificate signed by it (mutual TLS)' },
  'auth-token-file': { type: 'string', description: 'file with the bearer token(s) agents must present, one per line; re-read when it changes (absent = no authentication)' },
  'max-connection-age': { type: 'duration', default: '30m', description: 'GOAWAY to an agent connection after this age (±10%) so agents rebalance across replicas; 0 = never' },
  'max-connection-age-grace': { type: 'duration', default: '10s', description: 'how long a connection past its age may stay open before it is closed' },
  kubernetes: { type: 'string', default: 'auto', choices: ['auto', 'on', 'off'], description: 'read Nodes from the Kubernetes API as the source of truth: auto = the in-cluster config when present, else --kubeconfig when given, else off (logged once); on = fail at start-up without one' },
  'token-audience': { type: 'string', default: 'netsentry', description: 'with the API on and no --auth-token-file: the audience agents\' projected ServiceAccount tokens must carry (checked by TokenReview)' },
  kubeconfig: { type: 'string', description: 'kubeconfig file for --kubernetes auto|on outside a cluster' },
  'log-level': { type: 'string', default: 'info', choices: ['debug', 'info', 'warn', 'error'], description: 'log level' },
} as const satisfies FlagSpecs;
