// NodeRecordMismatch: what the cluster records for a node (flannel's annotations, the Node's
// podCIDRs) disagrees with what the node's host agent found on it. Peers program their
// overlay from the records, so a disagreement breaks traffic toward the node even when its
// own kernel state looks fine (flannel #1795, #1788). Both values are the evidence.
import { OverlayKind } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { findingId, type Detector, type FindingCandidate } from '../detectors/finding-candidate.ts';
import { findingKind } from '../detectors/finding-kinds.ts';
import type { ClusterSnapshot, NodeState } from '../model/cluster-snapshot.ts';
import type { NodeRecord } from './node-record.ts';

export const nodeRecordMismatchKind = 'NodeRecordMismatch';

const sameSet = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x) => b.includes(x));

function mismatches(node: NodeState, record: NodeRecord): string[] {
  const hello = node.hostAgent?.hello;
  if (!hello) return [];
  const lines: string[] = [];
  const overlay = hello.overlay;
  if (record.flannelBackend === 'vxlan' && (!overlay || overlay.kind === OverlayKind.NONE)) {
    lines.push(
      `the Node says flannel backend vxlan (annotation flannel.alpha.coreos.com/backend-type); the host agent found no flannel.<VNI> VXLAN device on ${node.name}`,
    );
  }
  const deviceMac = overlay?.vtepMac.toLowerCase() ?? '';
  if (record.flannelVtepMac && deviceMac !== '' && record.flannelVtepMac !== deviceMac) {
    lines.push(
      `VtepMAC: annotated ${record.flannelVtepMac} (flannel.alpha.coreos.com/backend-data), device ${overlay?.name || 'flannel.1'} has ${deviceMac}; peers send to the annotated MAC`,
    );
  }
  const underlay = hello.addresses[0];
  if (record.flannelPublicIp && underlay && record.flannelPublicIp !== underlay) {
    lines.push(
      `public IP: annotated ${record.flannelPublicIp} (flannel.alpha.coreos.com/public-ip), the node's underlay address is ${underlay}; peers' FDB entries point at the annotated one`,
    );
  }
  if (record.podCidrs.length > 0 && hello.podCidrs.length > 0 && !sameSet(record.podCidrs, hello.podCidrs)) {
    lines.push(
      `pod CIDR: the Node has ${record.podCidrs.join(', ')} (spec.podCIDRs), the pod bridge on the node has ${hello.podCidrs.join(', ')}`,
    );
  }
  return lines;
}

function remediation(name: string): string[] {
  return [
    `Compare the records with the node: kubectl get node ${name} -o jsonpath='{.metadata.annotations}{"\\n"}{.spec.podCIDRs}'; on ${name}: ip -d link show flannel.1; ip -br addr show cni0.`,
    `flannel writes its annotations at start-up: restart the flannel pod on ${name} (kubectl -n kube-flannel delete pod <flannel-pod>) so the annotations and the device agree, then check that peers re-programmed their entries toward ${name}.`,
    'A pod CIDR that differs from the Node: the CNI config on the node is stale (/run/flannel/subnet.env, /var/lib/cni/networks); remove it and restart flannel and the kubelet.',
  ];
}

export function createRecordMismatchDetector(deps: { records: ReadonlyMap<string, NodeRecord> }): Detector {
  return {
    kind: nodeRecordMismatchKind,
    detect(snapshot: ClusterSnapshot): FindingCandidate[] {
      const findings: FindingCandidate[] = [];
      for (const node of snapshot.nodes) {
        const record = deps.records.get(node.name);
        if (!record || !node.hostAgent?.connected) continue;
        const evidence = mismatches(node, record);
        if (evidence.length === 0) continue;
        findings.push({
          id: findingId(nodeRecordMismatchKind, node.name),
          kind: nodeRecordMismatchKind,
          severity: findingKind(nodeRecordMismatchKind).severity,
          nodes: [node.name],
          summary: `${node.name}: the cluster's records disagree with the node (${evidence.length === 1 ? evidence[0]!.split(':')[0] : `${evidence.length} fields`})`,
          evidence,
          remediation: remediation(node.name),
          // Peers' traffic toward the node follows the records: what that breaks is linked by
          // the finding-kinds table (link-symptoms.ts).
          explains: [],
        });
      }
      return findings;
    },
  };
}
