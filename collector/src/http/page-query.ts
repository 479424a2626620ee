// Limits and cursors for list answers (GET /api/v1/nodes, /api/v1/matrix): a reader asks
// for what it shows, so a read costs O(answer). Without `limit` the whole list comes back,
// as the page and CLI read it today; with it, `nextAfter` names the cursor of the next page.
export const maxPageLimit = 5_000;

export interface PageQuery {
  limit?: number;
  after?: string;
}

/** The page query, or a message saying what is wrong with it. */
export function parsePageQuery(query: Record<string, unknown>): PageQuery | { error: string } {
  const out: PageQuery = {};
  if (query.limit !== undefined) {
    const text = String(query.limit);
    if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > maxPageLimit)
      return { error: `limit must be an integer in 1..${maxPageLimit}, got '${text.slice(0, 32)}'` };
    out.limit = Number(text);
  }
  if (query.after !== undefined) {
    const text = String(query.after);
    if (text.length > 600) return { error: 'after is longer than 600 characters' };
    out.after = text;
  }
  return out;
}

/**
 * The items after `after` (by key, in the list's sorted order), at most `limit` of them.
 * Binary search: the list is sorted by key, so a page costs O(log n + limit).
 */
export function pageOf<T>(sorted: readonly T[], key: (item: T) => string, page: PageQuery): { items: T[]; nextAfter?: string } {
  let start = 0;
  if (page.after !== undefined) {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (key(sorted[mid]!) <= page.after) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const end = page.limit === undefined ? sorted.length : Math.min(sorted.length, start + page.limit);
  const items = sorted.slice(start, end);
  return end < sorted.length && items.length > 0 ? { items, nextAfter: key(items.at(-1)!) } : { items };
}

/** The item whose key is exactly `wanted`, as a list of zero or one. */
export function findSorted<T>(sorted: readonly T[], key: (item: T) => string, wanted: string): T[] {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(sorted[mid]!) < wanted) lo = mid + 1;
    else hi = mid;
  }
  const found = sorted[lo];
  return found !== undefined && key(found) === wanted ? [found] : [];
}
