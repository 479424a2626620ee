// The detectors the collector runs, bound to their validated config.
import type { ClusterSnapshot } from '../model/cluster-snapshot.ts';
import { agentMissingKind, detectAgentMissing } from './agent-missing.ts';
import { defaultDetectorConfig, type Detector, type DetectorConfig, type FindingCandidate } from './finding-candidate.ts';
import { detectLinkDown, linkDownKind } from './link-down.ts';
import { detectOverlayRouteMissing, overlayRouteMissingKind } from './overlay-route-missing.ts';

export type { Detector, DetectorConfig, FindingCandidate, Severity } from './finding-candidate.ts';
export { findingId } from './finding-candidate.ts';

const bind = (kind: string, detect: (snapshot: ClusterSnapshot, config: DetectorConfig) => FindingCandidate[], config: DetectorConfig): Detector => ({
  kind,
  detect: (snapshot) => detect(snapshot, config),
});

export function defaultDetectors(config: Partial<DetectorConfig> = {}): Detector[] {
  const bound: DetectorConfig = Object.freeze({ ...defaultDetectorConfig, ...config });
  return [
    bind(linkDownKind, detectLinkDown, bound),
    bind(overlayRouteMissingKind, detectOverlayRouteMissing, bound),
    bind(agentMissingKind, detectAgentMissing, bound),
  ];
}
