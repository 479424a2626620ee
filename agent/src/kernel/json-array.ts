// iproute2's -j output is a JSON array of objects; this checks that shape once.
import { NetsentryError } from '../../../shared/src/errors.ts';

export type JsonObject = Record<string, unknown>;

/** Parses iproute2 JSON output. Empty output counts as an empty list (older `bridge -j`). */
export function parseJsonArray(text: string, what: string): JsonObject[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (err) {
    throw new NetsentryError('INTERNAL', `${what}: output is not JSON (${(err as Error).message})`, { cause: err });
  }
  if (!Array.isArray(value)) throw new NetsentryError('INTERNAL', `${what}: expected a JSON array`);
  return value.filter((v): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v));
}

export function str(o: JsonObject, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' ? v : undefined;
}

export function num(o: JsonObject, key: string): number | undefined {
  const v = o[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function strList(o: JsonObject, key: string): string[] {
  const v = o[key];
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function obj(o: JsonObject, key: string): JsonObject | undefined {
  const v = o[key];
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : undefined;
}
