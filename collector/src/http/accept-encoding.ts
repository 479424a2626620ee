// Whether a client accepts a gzip body: RFC 9110 Accept-Encoding with q-values, so a
// scraper that says "gzip;q=0" (refuses it) is not sent gzip.
export function acceptsGzip(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  const value = Array.isArray(header) ? header.join(',') : header;
  // Bound the work a hostile header can cause: real scrapers send a handful of codings.
  let wildcard: boolean | undefined;
  for (const part of value.slice(0, 1024).split(',').slice(0, 32)) {
    const [coding = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const accepted = q === undefined || Number(q.slice(2)) > 0;
    if (coding === 'gzip' || coding === 'x-gzip') return accepted;
    if (coding === '*') wildcard = accepted;
  }
  return wildcard ?? false;
}
