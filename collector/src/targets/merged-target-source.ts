// The target set pushed to pod agents when both the --targets-file and the Kubernetes API
// give targets: the file's first (a file entry wins on a name clash), then the API's, at most
// maxTargets in all; a new generation only when the merged set changes.
import type { Logger } from '../../../shared/src/logger.ts';
import { mergeTargetSpecs } from './kubernetes-targets.ts';
import { createStaticTargetSetSource, type TargetSetSource } from './target-set-source.ts';
import { maxTargets, type TargetSpec } from './targets-file.ts';

export interface SpecFeed {
  specs(): readonly TargetSpec[];
  onChange(listener: () => void): unknown;
}

export function createMergedTargetSetSource(deps: { file?: TargetSetSource; api: SpecFeed; logger: Logger }): TargetSetSource {
  const log = deps.logger.child({ component: 'targets' });
  const merged = createStaticTargetSetSource([]);
  let shown = JSON.stringify([]);
  let droppedShown = '';
  const update = (): void => {
    const { specs, dropped } = mergeTargetSpecs(deps.file?.specs() ?? [], deps.api.specs(), maxTargets);
    if (dropped.length > 0 && dropped.join() !== droppedShown)
      log.warn({ dropped, limit: maxTargets }, "more targets than the limit; the file's come first, the rest are not probed");
    droppedShown = dropped.join();
    const text = JSON.stringify(specs);
    if (text === shown) return;
    shown = text;
    merged.set(specs);
  };
  update();
  deps.file?.onChange(update);
  deps.api.onChange(update);
  return {
    ...merged,
    close: () => {
      deps.file?.close();
      merged.close();
    },
  };
}
