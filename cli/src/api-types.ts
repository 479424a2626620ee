// The collector's JSON API as the CLI reads it: the contract in shared/src/api-types.ts, with
// every field but the identifying ones optional — an older or newer collector may leave some
// out, and the formatters print what is there.
import type * as api from '../../shared/src/api-types.ts';

type Tolerant<T> = { [K in keyof T]?: Loose<Exclude<T[K], undefined>> };
type Loose<V> = V extends (infer E)[] ? Loose<E>[] : V extends object ? Tolerant<V> : V;

export type CellState = api.ApiCellState;
export type ApiFinding = Pick<api.ApiFinding, 'id' | 'kind' | 'severity'> & Tolerant<Omit<api.ApiFinding, 'id' | 'kind' | 'severity'>>;
export type ApiAgent = Tolerant<api.ApiAgent>;
export type ApiNode = Pick<api.ApiNode, 'name'> & Tolerant<Omit<api.ApiNode, 'name'>>;
export type ApiCell = Pick<api.ApiCell, 'source' | 'destination' | 'attempts'> &
  Tolerant<Omit<api.ApiCell, 'source' | 'destination' | 'attempts'>>;
export type ApiWorstRow = api.ApiWorstRow;
/** Cells (every pair, or a page of them), or with ?worst= the worst rows instead. */
export type ApiNodeMark = Pick<api.ApiNodeMark, 'node'> & Tolerant<Omit<api.ApiNodeMark, 'node'>>;
export type ApiMatrix = Pick<api.ApiMatrix, 'network' | 'protocol'> & {
  marks?: ApiNodeMark[];
  nodeCount?: number;
  nodes?: string[];
  cells?: ApiCell[];
  nodesWithProblems?: number;
  worst?: ApiWorstRow[];
};
export interface ApiMatrixAnswer {
  matrices: ApiMatrix[];
}
export type ApiVersion = Tolerant<api.ApiVersion>;

/** A target of /api/v1/targets as the contract types it; its protocol read as any text (a newer collector may probe more). */
export type ApiTargetAddress = api.ApiTargetAddress;
export type ApiTarget = Omit<api.ApiTarget, 'protocol'> & { protocol: string };
