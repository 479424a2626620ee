// The Grafana dashboard as code. `node scripts/dashboard/build-dashboard.ts` writes
// charts/netsentry/files/netsentry-dashboard.json (the single source the chart ships);
// test/unit/dashboard.test.ts fails when the committed JSON differs from this output, and
// test/e2e/prometheus-alerts.test.ts runs every panel query against a real Prometheus.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const dashboardPath = fileURLToPath(new URL('../../charts/netsentry/files/netsentry-dashboard.json', import.meta.url));
export const dashboardUid = 'netsentry-overview';

const datasource = { type: 'prometheus', uid: '${datasource}' } as const;
/** Every query selects the chosen collector job and cluster(s); per-node queries also the node(s). */
const sel = 'cluster=~"$cluster", job=~"$job"';
const node = `${sel}, node=~"$node"`;
/** Per-node panels show only the $limit worst nodes, so "All" stays readable on a large cluster. */
const worst = (expr: string) => `topk($limit, ${expr})`;
const lowest = (expr: string) => `bottomk($limit, ${expr})`;

interface Target {
  expr: string;
  legend?: string;
  instant?: boolean;
  format?: 'table' | 'time_series';
}
interface PanelSpec {
  title: string;
  description: string;
  type: 'stat' | 'timeseries' | 'table' | 'bargauge';
  unit?: string;
  w: number;
  h: number;
  targets: Target[];
  min?: number;
  max?: number;
  thresholds?: { color: string; value: number | null }[];
}
type Row = { row: string; panels: PanelSpec[] };

const green = [{ color: 'green', value: null }];
const redAbove = (value: number) => [
  { color: 'green', value: null },
  { color: 'red', value },
];
const redBelow = (value: number) => [
  { color: 'red', value: null },
  { color: 'green', value },
];

/** The panels, by row. Every expr uses only metrics from docs/metrics.md (and `up`). */
export const rows: Row[] = [
  {
    row: 'Cluster overview',
    panels: [
      {
        title: 'Nodes known',
        description: 'Nodes whose agents said hello and have not expired.',
        type: 'stat',
        w: 4,
        h: 4,
        thresholds: green,
        targets: [{ expr: `netsentry_nodes_known{${sel}}` }],
      },
      {
        title: 'Agents connected',
        description: 'Agents with an open stream to the collector, host and pod network.',
        type: 'stat',
        w: 4,
        h: 4,
        thresholds: green,
        targets: [{ expr: `netsentry_agents_connected{${sel}}`, legend: '{{network}}' }],
      },
      {
        title: 'Nodes missing overlay routes',
        description: 'Nodes whose overlay chain (route, neighbor, FDB) to at least one peer is incomplete.',
        type: 'stat',
        w: 4,
        h: 4,
        thresholds: redAbove(1),
        targets: [{ expr: `count(netsentry_overlay_routes_missing{${node}} > 0) or vector(0)` }],
      },
      {
        title: 'Open findings by kind',
        description: 'Open findings per kind, cluster-wide (0 when healthy).',
        type: 'bargauge',
        w: 12,
        h: 8,
        thresholds: redAbove(1),
        min: 0,
        targets: [{ expr: `netsentry_open_findings{${sel}}`, legend: '{{kind}}', instant: true }],
      },
      {
        title: 'Open findings per node',
        description: 'Each open finding and the node it names. Empty on a healthy cluster.',
        type: 'table',
        w: 12,
        h: 4,
        targets: [{ expr: `sum by (node, kind, severity) (netsentry_findings{${node}})`, instant: true, format: 'table' }],
      },
    ],
  },
  {
    row: 'Overlay',
    panels: [
      {
        title: 'Overlay routes missing per node',
        description: 'Peers whose overlay chain is incomplete on each node (alert NetsentryOverlayRouteMissing on > 0).',
        type: 'timeseries',
        w: 12,
        h: 8,
        min: 0,
        thresholds: redAbove(1),
        targets: [{ expr: worst(`netsentry_overlay_routes_missing{${node}}`), legend: '{{node}}' }],
      },
      {
        title: 'Overlay peers checked per node',
        description: 'Peers each host agent verified in its latest report; should be the number of other nodes.',
        type: 'timeseries',
        w: 12,
        h: 8,
        min: 0,
        targets: [{ expr: lowest(`netsentry_overlay_peers_checked{${node}}`), legend: '{{node}}' }],
      },
    ],
  },
  {
    row: 'Reachability',
    panels: [
      {
        title: 'Reachability outbound per node',
        description: '1 − small-probe loss of the probes each node sends, per network and protocol.',
        type: 'timeseries',
        unit: 'percentunit',
        w: 12,
        h: 8,
        min: 0,
        max: 1,
        thresholds: redBelow(0.99),
        targets: [
          { expr: lowest(`1 - netsentry_probe_loss_ratio{${node}, direction="outbound"}`), legend: '{{node}} {{network}}/{{protocol}}' },
        ],
      },
      {
        title: 'Reachability inbound per node',
        description: '1 − small-probe loss of the probes sent to each node, per network and protocol.',
        type: 'timeseries',
        unit: 'percentunit',
        w: 12,
        h: 8,
        min: 0,
        max: 1,
        thresholds: redBelow(0.99),
        targets: [
          { expr: lowest(`1 - netsentry_probe_loss_ratio{${node}, direction="inbound"}`), legend: '{{node}} {{network}}/{{protocol}}' },
        ],
      },
      {
        title: 'Failing pairs now',
        description:
          'Directed pairs failing now (source → destination). Series exist only for failing pairs, so this table is empty on a healthy cluster.',
        type: 'table',
        w: 12,
        h: 8,
        targets: [
          {
            expr: `netsentry_probe_pair_failing{${sel}, source=~"$node"} or netsentry_probe_pair_failing{${sel}, destination=~"$node"}`,
            instant: true,
            format: 'table',
          },
        ],
      },
      {
        title: 'Failing pairs per network and protocol',
        description: 'How many directed pairs fail now (all of them; the table shows at most 1,000).',
        type: 'timeseries',
        w: 12,
        h: 8,
        min: 0,
        targets: [{ expr: `sum by (network, protocol) (netsentry_probe_pairs_failing{${sel}})`, legend: '{{network}}/{{protocol}}' }],
      },
    ],
  },
  {
    row: 'Latency, loss and DNS',
    panels: [
      {
        title: 'Probe RTT per node (median)',
        description: "Median of each node's outbound small-UDP per-path RTT medians.",
        type: 'timeseries',
        unit: 's',
        w: 8,
        h: 8,
        min: 0,
        targets: [{ expr: worst(`netsentry_probe_rtt_median_seconds{${node}}`), legend: '{{node}} {{network}}' }],
      },
      {
        title: 'Probe loss per node (worst direction)',
        description: "The worse of a node's outbound and inbound small-probe loss, per network.",
        type: 'timeseries',
        unit: 'percentunit',
        w: 8,
        h: 8,
        min: 0,
        max: 1,
        thresholds: redAbove(0.01),
        targets: [{ expr: worst(`max by (node, network) (netsentry_probe_loss_ratio{${node}})`), legend: '{{node}} {{network}}' }],
      },
      {
        title: 'Cluster probe RTT p50 / p99',
        description: 'From the cluster-wide RTT histogram of successful small probes.',
        type: 'timeseries',
        unit: 's',
        w: 8,
        h: 8,
        min: 0,
        targets: [
          {
            expr: `histogram_quantile(0.5, sum by (le, network, protocol) (rate(netsentry_probe_round_trip_seconds_bucket{${sel}}[$__rate_interval])))`,
            legend: 'p50 {{network}}/{{protocol}}',
          },
          {
            expr: `histogram_quantile(0.99, sum by (le, network, protocol) (rate(netsentry_probe_round_trip_seconds_bucket{${sel}}[$__rate_interval])))`,
            legend: 'p99 {{network}}/{{protocol}}',
          },
        ],
      },
      {
        title: 'DNS success per node',
        description: 'Share of DNS probes that succeeded, per protocol (nodes whose agents probe DNS).',
        type: 'timeseries',
        unit: 'percentunit',
        w: 12,
        h: 8,
        min: 0,
        max: 1,
        thresholds: redBelow(0.99),
        targets: [{ expr: lowest(`netsentry_dns_probe_success_ratio{${node}}`), legend: '{{node}} {{protocol}}' }],
      },
      {
        title: 'Agent event-loop delay p99',
        description: 'High values mean a busy agent, not a slow network.',
        type: 'timeseries',
        unit: 's',
        w: 12,
        h: 8,
        min: 0,
        targets: [{ expr: worst(`netsentry_agent_event_loop_delay_seconds{${node}}`), legend: '{{node}} {{network}}' }],
      },
    ],
  },
  {
    // Registered only with --targets-file (docs/metrics.md): empty panels without targets.
    row: 'Targets (Services and endpoints)',
    panels: [
      {
        title: 'Targets failing',
        description:
          'Targets whose Service address or an endpoint fails from at least one node now (ServicePathBroken / TargetUnreachable name the nodes).',
        type: 'stat',
        w: 4,
        h: 8,
        thresholds: redAbove(1),
        targets: [{ expr: `count(max by (target) (netsentry_target_failing_paths{${sel}}) > 0) or vector(0)` }],
      },
      {
        title: 'Failing target paths by target',
        description:
          'Source nodes failing each target now: path="service" its Service address (that node\'s Service rules, when the endpoints answer), path="endpoint" its endpoints probed directly. The $limit worst.',
        type: 'timeseries',
        w: 20,
        h: 8,
        min: 0,
        thresholds: redAbove(1),
        targets: [{ expr: worst(`sum by (target, path) (netsentry_target_failing_paths{${sel}})`), legend: '{{target}} {{path}}' }],
      },
    ],
  },
  {
    row: 'Node state',
    panels: [
      {
        title: 'MTU per node',
        description: 'Overlay and underlay MTU; overlay + 50 must not exceed underlay for VXLAN.',
        type: 'timeseries',
        unit: 'none',
        w: 8,
        h: 8,
        targets: [{ expr: lowest(`netsentry_node_mtu_bytes{${node}}`), legend: '{{node}} {{device_role}}' }],
      },
      {
        title: 'Conntrack fill',
        description: 'Conntrack entries / max per node (NetsentryConntrackPressure from 0.9).',
        type: 'timeseries',
        unit: 'percentunit',
        w: 8,
        h: 8,
        min: 0,
        max: 1,
        thresholds: redAbove(0.9),
        targets: [{ expr: worst(`netsentry_conntrack_fill_ratio{${node}}`), legend: '{{node}}' }],
      },
      {
        title: 'Agent report age',
        description: "Seconds since each agent's latest node report.",
        type: 'timeseries',
        unit: 's',
        w: 8,
        h: 8,
        min: 0,
        targets: [{ expr: worst(`time() - netsentry_agent_last_report_timestamp_seconds{${node}}`), legend: '{{node}} {{network}}' }],
      },
    ],
  },
  {
    row: 'Collector health',
    panels: [
      {
        title: 'Collector scraped',
        description: 'up of the collector scrape job (NetsentryCollectorDown when 0 or absent).',
        type: 'stat',
        w: 4,
        h: 8,
        thresholds: redBelow(1),
        targets: [{ expr: `up{${sel}}`, legend: '{{instance}}' }],
      },
      {
        title: 'Stream errors / s',
        description: 'Agent streams refused or failed, by reason.',
        type: 'timeseries',
        unit: 'ops',
        w: 10,
        h: 8,
        min: 0,
        targets: [{ expr: `sum by (reason) (rate(netsentry_stream_errors_total{${sel}}[$__rate_interval]))`, legend: '{{reason}}' }],
      },
      {
        title: 'Messages from agents / s',
        description: 'Hellos, reports, heartbeats and probe batches received.',
        type: 'timeseries',
        unit: 'ops',
        w: 10,
        h: 8,
        min: 0,
        targets: [{ expr: `sum by (type) (rate(netsentry_messages_received_total{${sel}}[$__rate_interval]))`, legend: '{{type}}' }],
      },
      {
        title: 'Detector run time',
        description: 'One pass of every detector over a cluster snapshot: p99 and mean.',
        type: 'timeseries',
        unit: 's',
        w: 8,
        h: 8,
        min: 0,
        targets: [
          {
            expr: `histogram_quantile(0.99, sum by (le) (rate(netsentry_detector_run_duration_seconds_bucket{${sel}}[$__rate_interval])))`,
            legend: 'p99',
          },
          {
            expr: `sum(rate(netsentry_detector_run_duration_seconds_sum{${sel}}[$__rate_interval])) / sum(rate(netsentry_detector_run_duration_seconds_count{${sel}}[$__rate_interval]))`,
            legend: 'mean',
          },
        ],
      },
      {
        title: 'Collector resident memory',
        description: 'Resident memory of the collector process.',
        type: 'timeseries',
        unit: 'bytes',
        w: 4,
        h: 8,
        min: 0,
        targets: [{ expr: `process_resident_memory_bytes{${sel}}`, legend: '{{instance}}' }],
      },
      {
        title: 'Collector event-loop delay p99',
        description: 'p99 event-loop delay of the collector process: high means a busy collector.',
        type: 'timeseries',
        unit: 's',
        w: 4,
        h: 8,
        min: 0,
        targets: [{ expr: `nodejs_eventloop_lag_p99_seconds{${sel}}`, legend: '{{instance}}' }],
      },
      {
        title: 'Build',
        description: 'netsentry and Node.js versions of the collector.',
        type: 'table',
        w: 8,
        h: 8,
        targets: [{ expr: `netsentry_build_info{${sel}}`, instant: true, format: 'table' }],
      },
    ],
  },
];

function panelJson(spec: PanelSpec, id: number, gridPos: { x: number; y: number; w: number; h: number }): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  if (spec.unit) defaults.unit = spec.unit;
  if (spec.min !== undefined) defaults.min = spec.min;
  if (spec.max !== undefined) defaults.max = spec.max;
  if (spec.thresholds) defaults.thresholds = { mode: 'absolute', steps: spec.thresholds };
  const options: Record<string, unknown> =
    spec.type === 'timeseries'
      ? { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } }
      : spec.type === 'table'
        ? { showHeader: true }
        : { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, orientation: 'auto' };
  return {
    id,
    type: spec.type,
    title: spec.title,
    description: spec.description,
    datasource,
    gridPos,
    fieldConfig: { defaults, overrides: [] },
    options,
    // Instant table queries come back one column per label: hide the ones that add nothing.
    ...(spec.type === 'table'
      ? { transformations: [{ id: 'organize', options: { excludeByName: { Time: true, __name__: true, job: true, instance: true } } }] }
      : {}),
    targets: spec.targets.map((t, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource,
      expr: t.expr,
      legendFormat: t.legend ?? '__auto',
      range: !t.instant,
      instant: t.instant ?? false,
      ...(t.format ? { format: t.format } : {}),
    })),
  };
}

function queryVariable(
  name: string,
  label: string,
  query: string,
  choice: { multi: boolean; includeAll: boolean; allValue?: string },
): Record<string, unknown> {
  return {
    name,
    label,
    type: 'query',
    datasource,
    query,
    definition: query,
    refresh: 2,
    ...choice,
    ...(choice.includeAll ? { current: { selected: true, text: ['All'], value: ['$__all'] } } : { current: {} }),
    sort: 1,
    hide: 0,
    regex: '',
    options: [],
  };
}

export function buildDashboard(): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const { row, panels: specs } of rows) {
    panels.push({ id: id++, type: 'row', title: row, collapsed: false, gridPos: { x: 0, y, w: 24, h: 1 }, panels: [] });
    y += 1;
    let x = 0;
    let rowHeight = 0;
    for (const spec of specs) {
      if (x + spec.w > 24) {
        x = 0;
        y += rowHeight;
        rowHeight = 0;
      }
      panels.push(panelJson(spec, id++, { x, y, w: spec.w, h: spec.h }));
      x += spec.w;
      rowHeight = Math.max(rowHeight, spec.h);
    }
    y += rowHeight;
  }
  return {
    uid: dashboardUid,
    title: 'netsentry',
    description:
      'Kubernetes pod-network health from netsentry: overlay routes, mesh reachability, RTT, loss, DNS, Services and endpoints (targets), MTU, conntrack and the collector itself.',
    tags: ['netsentry', 'network', 'kubernetes'],
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-1h', to: 'now' },
    refresh: '30s',
    timezone: '',
    links: [
      {
        title: 'Alerts and runbooks',
        type: 'link',
        url: 'https://github.com/netsentry/netsentry/blob/main/docs/alerts.md',
        targetBlank: true,
      },
    ],
    annotations: { list: [] },
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Data source',
          type: 'datasource',
          query: 'prometheus',
          current: {},
          hide: 0,
          refresh: 1,
          regex: '',
          options: [],
        },
        // A global view (Thanos, Mimir) has a cluster label; without one, "All" (.*) also matches series that lack it.
        queryVariable('cluster', 'Cluster', 'label_values(netsentry_build_info, cluster)', {
          multi: true,
          includeAll: true,
          allValue: '.*',
        }),
        // The collector's scrape job (serviceMonitor.jobName in the chart): one at a time, the first found by default.
        queryVariable('job', 'Job', 'label_values(netsentry_build_info{cluster=~"$cluster"}, job)', { multi: false, includeAll: false }),
        {
          name: 'node',
          label: 'Node',
          type: 'query',
          datasource,
          // The string form: every Grafana from 8 on reads it (10+ migrates it to its object form).
          query: `label_values(netsentry_overlay_routes_missing{${sel}}, node)`,
          definition: `label_values(netsentry_overlay_routes_missing{${sel}}, node)`,
          refresh: 2,
          multi: true,
          includeAll: true,
          allValue: '.*',
          current: { selected: true, text: ['All'], value: ['$__all'] },
          sort: 3,
          hide: 0,
          regex: '',
          options: [],
        },
        {
          name: 'limit',
          label: 'Nodes per panel',
          description: 'Per-node panels show this many nodes, the worst first (topk/bottomk).',
          type: 'custom',
          query: '10,20,50,100,1000',
          current: { selected: true, text: '20', value: '20' },
          options: [],
          hide: 0,
        },
      ],
    },
    panels,
  };
}

export const dashboardText = (): string => `${JSON.stringify(buildDashboard(), null, 2)}\n`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(dashboardPath, dashboardText());
  console.log(`wrote ${dashboardPath}`);
}
