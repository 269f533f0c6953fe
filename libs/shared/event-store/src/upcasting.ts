/** Rewrites the payload of an old event version into the current one, on read. */
export type Upcaster = (data: unknown) => { readonly schemaVersion: number; readonly data: unknown };

/** Upcasters by `<type>@<schemaVersion>`; each returns the next version, so they chain. */
export type Upcasters = Readonly<Record<string, Upcaster>>;

export function upcast(
  upcasters: Upcasters,
  type: string,
  schemaVersion: number,
  data: unknown,
): { schemaVersion: number; data: unknown } {
  let current = { schemaVersion, data };
  for (let up = upcasters[`${type}@${schemaVersion}`]; up; up = upcasters[`${type}@${current.schemaVersion}`]) {
    current = { ...up(current.data) };
  }
  return current;
}
