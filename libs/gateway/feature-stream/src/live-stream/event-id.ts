/** A Redis stream entry id, `<ms>-<seq>`: the SSE `id:` of every event, ordered across gateway instances. */
export type EntryId = readonly [bigint, bigint];

const ENTRY_ID = /^(\d{1,20})-(\d{1,20})$/;

export function parseEntryId(value: string): EntryId | null {
  const m = ENTRY_ID.exec(value);
  if (!m) return null;
  const id: EntryId = [BigInt(m[1]), BigInt(m[2])];
  const max = 2n ** 64n - 1n;
  return id[0] <= max && id[1] <= max ? id : null;
}

/** Negative, zero or positive as `a` is before, equal to or after `b`; both must be valid ids. */
export function compareEntryIds(a: string, b: string): number {
  const x = parseEntryId(a);
  const y = parseEntryId(b);
  if (!x || !y) throw new Error(`not a stream entry id: ${x ? b : a}`);
  if (x[0] !== y[0]) return x[0] < y[0] ? -1 : 1;
  if (x[1] !== y[1]) return x[1] < y[1] ? -1 : 1;
  return 0;
}
