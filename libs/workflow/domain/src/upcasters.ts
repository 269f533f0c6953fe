/**
 * Payload upcasters of workflow's stored events, by `<type>@<schemaVersion>`: the event store's
 * `Upcasters` (shared/event-store), applied on every read. Domain event types keep their name, so
 * an upcast v1 event is still `asset.registered.v1`, read at schema version 2, which is the data
 * of its v2 successor; `evolve` and the integration mappers take both types down one path.
 * Events written from v2 on are of the v2 types (schema version 1) and match no upcaster.
 *
 * Access attributes did not exist before: an old asset is public (sensitivity 0) and a zone's
 * sensitivity stays what it was; neither has a team.
 */
type Upcaster = (data: unknown) => { readonly schemaVersion: number; readonly data: unknown };

const withAttributes =
  (defaults: Readonly<Record<string, unknown>>): Upcaster =>
  (data) => ({ schemaVersion: 2, data: { ...defaults, ...(data as Record<string, unknown>) } });

export const workflowUpcasters: Readonly<Record<string, Upcaster>> = Object.freeze({
  'asset.registered.v1@1': withAttributes({ sensitivity: 0, team: null }),
  'zone.created.v1@1': withAttributes({ team: null }),
  'zone.replaced.v1@1': withAttributes({ team: null }),
});
