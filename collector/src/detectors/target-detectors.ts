// ServicePathBroken and TargetUnreachable, from the pod agents' target probes
// (collector/src/targets/). ServicePathBroken: from a node the Service address fails while
// every endpoint answers it directly — that node's Service rules (kube-proxy's DNAT). Target
// Unreachable: an endpoint (or an endpoint-less target) fails from some nodes while others
// reach it — those nodes' policy or route; or from every node — the endpoint itself, named
// with the node that hosts it. An address a fresh agent never reached is info ("not reachable
// yet") for the start-up grace, so agents that start before the Service page nobody.
import type { ClusterSnapshot } from '../model/cluster-snapshot.ts';
import { podNetworkAgent } from '../model/pod-network-agent.ts';
import { judgeTargets, type TargetJudgement } from '../targets/target-judgement.ts';
import type { TargetStore } from '../targets/target-store.ts';
import type { TargetSpec } from '../targets/targets-file.ts';
import { findingId, type Detector, type DetectorConfig, type FindingCandidate, type Severity } from './finding-candidate.ts';
import { findingKind } from './finding-kinds.ts';
import { isAlive } from './pair.ts';

export const servicePathBrokenKind = 'ServicePathBroken';
export const targetUnreachableKind = 'TargetUnreachable';

export interface TargetDetectorDeps {
  store: TargetStore;
  specs: () => readonly TargetSpec[];
  /** Start-up grace for addresses an agent instance never reached. */
  graceMs: number;
  /** A result older than this says nothing (a few probe intervals). */
  staleMs: number;
}

const severity = (kind: string, notYet: boolean): Severity => (notYet ? 'info' : findingKind(kind).severity);
const yet = (notYet: boolean): string =>
  notYet ? ' (not reachable yet: never reached since the agent started; info until the start-up grace ends)' : '';

function judge(snapshot: ClusterSnapshot, deps: TargetDetectorDeps, config: DetectorConfig): TargetJudgement[] {
  const alive = new Set(snapshot.nodes.filter((n) => isAlive(podNetworkAgent(n), snapshot.nowMs, config)).map((n) => n.name));
  deps.store.prune(new Set(snapshot.nodes.map((n) => n.name)));
  return judgeTargets(deps.specs(), deps.store, snapshot.nodes, alive, {
    nowMs: snapshot.nowMs,
    staleMs: deps.staleMs,
    graceMs: deps.graceMs,
  });
}

export function detectServicePathBroken(judgements: readonly TargetJudgement[]): FindingCandidate[] {
  const out: FindingCandidate[] = [];
  for (const j of judgements) {
    if (j.spec.endpoints.length === 0) continue;
    for (const [node, s] of j.service.failing) {
      // Every endpoint answers from this node directly: only the Service's own path is left.
      if (!j.spec.endpoints.every((ep) => j.stateOf(node, ep).verdict === 'ok')) continue;
      out.push({
        id: findingId(servicePathBrokenKind, node, j.spec.name),
        kind: servicePathBrokenKind,
        severity: severity(servicePathBrokenKind, s.notYet),
        nodes: [node],
        summary: `From pods on ${node} the Service ${j.spec.name} (${j.spec.address}) fails while all ${j.spec.endpoints.length} of its endpoints answer directly: ${node}'s Service rules (kube-proxy) are missing or stale${yet(s.notYet)}`,
        evidence: [
          `${j.spec.address} (${j.spec.protocol}) from ${node}: failing (${s.error || 'error'}) since ${new Date(s.sinceMs).toISOString()}`,
          `endpoints reached directly from ${node}: ${j.spec.endpoints.join(', ')}`,
          `${j.service.okCount} other node(s) reach the Service address`,
        ],
        remediation: [
          `On ${node}, look for the Service's DNAT rules: nft list ruleset | grep -F '${j.spec.address.replace(/:\d+$/, '')}' (nftables mode), iptables-save -t nat | grep -F '${j.spec.address.replace(/:\d+$/, '')}' (iptables mode) or ipvsadm -Ln (IPVS).`,
          `Check kube-proxy on ${node}: kubectl -n kube-system logs -l k8s-app=kube-proxy --field-selector spec.nodeName=${node}; a stale kube-proxy is fixed by restarting its pod on that node.`,
          'Compare with a healthy node: the same Service should have the same rules everywhere.',
        ],
        explains: [],
      });
    }
  }
  return out;
}

export function detectTargetUnreachable(judgements: readonly TargetJudgement[]): FindingCandidate[] {
  const out: FindingCandidate[] = [];
  for (const j of judgements) {
    const what = `${j.spec.name} (${j.spec.protocol})`;
    for (const down of j.endpointsDown) {
      out.push({
        id: findingId(targetUnreachableKind, j.spec.name, down.endpoint),
        kind: targetUnreachableKind,
        severity: severity(targetUnreachableKind, down.notYet),
        nodes: down.owner ? [down.owner] : [],
        summary: `Endpoint ${down.endpoint} of ${what} answers from no node (${j.sourceCount} tried)${down.owner ? `; it is a pod on ${down.owner}` : ''}: the endpoint itself is down${yet(down.notYet)}`,
        evidence: [
          `${down.endpoint}: ${down.error || 'error'} from every node (${down.failingFrom.slice(0, 20).join(', ')}${down.failingFrom.length > 20 ? ', …' : ''})`,
        ],
        remediation: [
          `Check the pod behind ${down.endpoint}: kubectl get pods -A -o wide | grep -F '${down.endpoint.replace(/:\d+$/, '')}'; its readiness, logs and whether it listens on the port.`,
          'An endpoint that is not ready should not be in the EndpointSlice: check the readiness probe.',
        ],
        explains: [],
      });
    }
    if (j.serviceDownEverywhere) {
      const states = [...j.service.failing.values()];
      const notYet = states.every((s) => s.notYet);
      out.push({
        id: findingId(targetUnreachableKind, j.spec.name),
        kind: targetUnreachableKind,
        severity: severity(targetUnreachableKind, notYet),
        nodes: [],
        summary: `${what} at ${j.spec.address} answers from no node (${j.sourceCount} tried): the target itself is down${yet(notYet)}`,
        evidence: [
          `${j.spec.address}: ${states[0]?.error || 'error'} from every node (${[...j.service.failing.keys()].sort().slice(0, 20).join(', ')})`,
        ],
        remediation: [`Check what serves ${j.spec.address}: is it running and listening on that port?`],
        explains: [],
      });
    }
    for (const [node, failures] of j.nodeFailures) {
      const notYet = failures.every((f) => f.notYet);
      out.push({
        id: findingId(targetUnreachableKind, node, j.spec.name),
        kind: targetUnreachableKind,
        severity: severity(targetUnreachableKind, notYet),
        nodes: [node],
        summary: `From pods on ${node}, ${failures.length === 1 ? failures[0]!.address : `${failures.length} addresses`} of ${what} fail${failures.length === 1 ? 's' : ''} while other nodes reach ${failures.length === 1 ? 'it' : 'them'}: a policy or route on ${node}'s side${yet(notYet)}`,
        evidence: failures.slice(0, 20).map((f) => `${f.address} from ${node}: ${f.error || 'error'}; reached from other nodes since`),
        remediation: [
          `Look for a NetworkPolicy or firewall rule that selects pods on ${node} or the destination: kubectl get networkpolicy -A; on ${node}: nft list ruleset.`,
          `Test from a pod on ${node}: nc -vz ${failures[0]!.address.replace(/:(\d+)$/, ' $1')}.`,
          `Check ${node}'s overlay and routes: findings about ${node} (OverlayRouteMissing, NodeIsolated) explain this one when they are the cause.`,
        ],
        explains: [],
      });
    }
  }
  return out;
}

/** Both detectors over one shared judgement per pass: ServicePathBroken runs first and judges; TargetUnreachable reuses it. */
export function createTargetDetectors(deps: TargetDetectorDeps, config: DetectorConfig): Detector[] {
  let last: { snapshot: ClusterSnapshot; judgements: TargetJudgement[] } | undefined;
  const judged = (snapshot: ClusterSnapshot): TargetJudgement[] => {
    if (last?.snapshot !== snapshot) last = { snapshot, judgements: judge(snapshot, deps, config) };
    return last.judgements;
  };
  return [
    { kind: servicePathBrokenKind, detect: (snapshot) => detectServicePathBroken(judged(snapshot)) },
    { kind: targetUnreachableKind, detect: (snapshot) => detectTargetUnreachable(judged(snapshot)) },
  ];
}
