import { assertIdentifier, type Migration } from '@meridian/shared/event-store';

/**
 * `<schema>.sagas`: the reservation sagas a mission asked for and whether they finished, written by
 * a trigger in the transaction that appends the asking event (so a saga is never asked for without
 * a row) and settled by the saga's own `saga.finished.v1`. The sweep resumes what is unfinished.
 */
export const sagaMigrations = (schema: string): readonly Migration[] => {
  const s = assertIdentifier(schema);
  return [
    {
      id: 110,
      name: 'reservation sagas',
      sql: `
CREATE TABLE ${s}.sagas (
  saga_id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('assign', 'release')),
  mission_id uuid NOT NULL,
  tenant_id text NOT NULL,
  data jsonb NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX sagas_unfinished ON ${s}.sagas (requested_at) WHERE finished_at IS NULL;
CREATE FUNCTION ${s}.track_sagas() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF NEW.type = 'saga.finished.v1' THEN
    UPDATE ${s}.sagas SET finished_at = now() WHERE saga_id = substr(NEW.stream_id, 6)::uuid;
  ELSE
    INSERT INTO ${s}.sagas (saga_id, kind, mission_id, tenant_id, data)
    VALUES (
      (NEW.data->>'sagaId')::uuid,
      CASE WHEN NEW.type = 'mission.assignment-requested.v1' THEN 'assign' ELSE 'release' END,
      (NEW.data->>'missionId')::uuid,
      coalesce(NEW.metadata->>'tenantId', ''),
      NEW.data
    )
    ON CONFLICT (saga_id) DO NOTHING;
  END IF;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER track_sagas AFTER INSERT ON ${s}.events FOR EACH ROW
  WHEN (NEW.type IN ('mission.assignment-requested.v1', 'mission.release-requested.v1', 'saga.finished.v1'))
  EXECUTE FUNCTION ${s}.track_sagas();
`,
    },
    {
      id: 111,
      name: 'reservation saga claims',
      // One runner per saga at a time: a runner claims the saga for a lease; the sweep skips claimed ones.
      sql: `ALTER TABLE ${s}.sagas ADD COLUMN claimed_until timestamptz;`,
    },
  ];
};
