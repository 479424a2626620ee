// The detectors the collector runs, bound to their validated config.
import type { ClusterSnapshot } from '../model/cluster-snapshot.ts';
import { agentMissingKind, detectAgentMissing } from './agent-missing.ts';
import { defaultDetectorConfig, type Detector, type DetectorConfig, type FindingCandidate } from './finding-candidate.ts';
import { detectLinkDown, linkDownKind } from './link-down.ts';
import { detectOverlayRouteMissing, overlayRouteMissingKind } from './overlay-route-missing.ts';
import { asymmetricReachabilityKind, detectAsymmetricReachability } from './asymmetric-reachability.ts';
import { conntrackPressureKind, detectConntrackPressure } from './conntrack-pressure.ts';
import { detectDnsFailure, dnsFailureKind } from './dns-failure.ts';
import { detectMtuBlackhole, mtuBlackholeKind } from './mtu-blackhole.ts';
import { createMeshPasses, type MeshPass, type MeshPasses } from './mesh-pass.ts';
import { createNodeMtuCache, detectMtuMismatch, mtuMismatchKind } from './mtu-mismatch.ts';
import { detectNodeIsolated, nodeIsolatedKind } from './node-isolated.ts';
import { detectOverlayPeerDisagreement, overlayPeerDisagreementKind } from './overlay-peer-disagreement.ts';
import { detectProtocolBlocked, protocolBlockedKind } from './protocol-blocked.ts';
import { createTargetDetectors, type TargetDetectorDeps } from './target-detectors.ts';
import { detectLinkErrors, linkErrorsKind } from './link-errors.ts';
import { createTargetStore } from '../targets/target-store.ts';

export type { Detector, DetectorConfig, FindingCandidate, Severity } from './finding-candidate.ts';
export { findingId } from './finding-candidate.ts';

const bind = (
  kind: string,
  detect: (snapshot: ClusterSnapshot, config: DetectorConfig) => FindingCandidate[],
  config: DetectorConfig,
): Detector => ({
  kind,
  detect: (snapshot) => detect(snapshot, config),
});
// The mesh detectors share one pass's work (mesh-pass.ts), handed to them here.
const bindMesh = (
  kind: string,
  detect: (snapshot: ClusterSnapshot, pass: MeshPass) => FindingCandidate[],
  passes: MeshPasses,
): Detector => ({
  kind,
  detect: (snapshot) => detect(snapshot, passes.of(snapshot)),
});

/** Without targets (no --targets-file) the target detectors run over an empty set. */
const noTargets = (): TargetDetectorDeps => ({ store: createTargetStore(), specs: () => [], graceMs: 0, staleMs: 1 });

export function defaultDetectors(config: Partial<DetectorConfig> = {}, targets: TargetDetectorDeps = noTargets()): Detector[] {
  const bound: DetectorConfig = Object.freeze({ ...defaultDetectorConfig, ...config });
  const mesh = createMeshPasses(bound);
  const mtus = createNodeMtuCache();
  return [
    bind(linkDownKind, detectLinkDown, bound),
    bind(overlayRouteMissingKind, detectOverlayRouteMissing, bound),
    bind(overlayPeerDisagreementKind, detectOverlayPeerDisagreement, bound),
    bind(agentMissingKind, detectAgentMissing, bound),
    bindMesh(nodeIsolatedKind, detectNodeIsolated, mesh),
    bindMesh(protocolBlockedKind, detectProtocolBlocked, mesh),
    bindMesh(asymmetricReachabilityKind, detectAsymmetricReachability, mesh),
    bindMesh(mtuBlackholeKind, detectMtuBlackhole, mesh),
    { kind: mtuMismatchKind, detect: (snapshot) => detectMtuMismatch(snapshot, bound, mtus) },
    bind(dnsFailureKind, detectDnsFailure, bound),
    bind(conntrackPressureKind, detectConntrackPressure, bound),
    bind(linkErrorsKind, detectLinkErrors, bound),
    ...createTargetDetectors(targets, bound),
  ];
}
