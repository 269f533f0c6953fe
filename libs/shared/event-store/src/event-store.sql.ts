import { assertIdentifier, type Migration } from './migrations';

/** SQLSTATE raised by append_events when the expected version does not hold. */
export const CONFLICT_SQLSTATE = 'MR001';

/**
 * The event store schema of one service (DESIGN §3). `transaction_id` records the writing
 * transaction so readers of `$all` can order by commit safety rather than by the sequence.
 */
export function eventStoreMigrations(schema: string): Migration[] {
  const s = assertIdentifier(schema);
  return [
    {
      id: 1,
      name: 'event store',
      sql: `
CREATE TABLE ${s}.streams (
  stream_id text PRIMARY KEY,
  version int NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE ${s}.events (
  global_position bigserial PRIMARY KEY,
  transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  stream_id text NOT NULL,
  stream_version int NOT NULL,
  event_id uuid NOT NULL UNIQUE,
  type text NOT NULL,
  schema_version int NOT NULL DEFAULT 1,
  data jsonb NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}',
  recorded_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (stream_id, stream_version)
);
CREATE INDEX events_commit_order ON ${s}.events (transaction_id, global_position);
CREATE TABLE ${s}.snapshots (
  stream_id text PRIMARY KEY,
  version int NOT NULL,
  schema_version int NOT NULL,
  state jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE ${s}.checkpoints (
  name text PRIMARY KEY,
  transaction_id xid8 NOT NULL,
  global_position bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- One round trip per append: version check, stream bump and event insert in one statement.
-- p_expected: -1 = any version, 0 = stream must not exist, n = stream must be at n.
CREATE FUNCTION ${s}.append_events(
  p_stream text, p_expected int, p_ids uuid[], p_types text[], p_schema_versions int[],
  p_data jsonb[], p_metadata jsonb[]
) RETURNS int LANGUAGE plpgsql AS $fn$
DECLARE
  n int := cardinality(p_ids);
  cur int;
BEGIN
  IF p_expected = -1 THEN
    INSERT INTO ${s}.streams AS st (stream_id, version) VALUES (p_stream, n)
      ON CONFLICT (stream_id) DO UPDATE SET version = st.version + n, updated_at = now()
      RETURNING version - n INTO cur;
  ELSIF p_expected = 0 THEN
    INSERT INTO ${s}.streams (stream_id, version) VALUES (p_stream, n) ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'stream % already exists', p_stream USING ERRCODE = '${CONFLICT_SQLSTATE}';
    END IF;
    cur := 0;
  ELSE
    UPDATE ${s}.streams SET version = p_expected + n, updated_at = now()
      WHERE stream_id = p_stream AND version = p_expected;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'stream % is not at version %', p_stream, p_expected USING ERRCODE = '${CONFLICT_SQLSTATE}';
    END IF;
    cur := p_expected;
  END IF;
  INSERT INTO ${s}.events (stream_id, stream_version, event_id, type, schema_version, data, metadata)
    SELECT p_stream, cur + x.ord::int, x.id, x.t, x.sv, x.d, x.m
    FROM unnest(p_ids, p_types, p_schema_versions, p_data, p_metadata) WITH ORDINALITY AS x(id, t, sv, d, m, ord);
  RETURN cur + n;
END
$fn$;
`,
    },
    {
      id: 2,
      name: 'group commit of appends',
      sql: `
-- Several appends in one transaction (one round trip, one WAL flush). Each runs in its own
-- subtransaction: a conflict (or an event id stored already) fails that append alone, answered
-- as 0 in its slot, and never its neighbours. p: [{s, e, i: [uuid], t: [text], v: [int], d: [jsonb],
-- m: [jsonb]}], the arguments of append_events per element.
CREATE FUNCTION ${s}.append_batch(p jsonb) RETURNS int[] LANGUAGE plpgsql AS $fn$
DECLARE
  a jsonb;
  out int[] := '{}';
BEGIN
  FOR a IN SELECT value FROM jsonb_array_elements(p) LOOP
    BEGIN
      out := out || ${s}.append_events(
        a->>'s', (a->>'e')::int,
        ARRAY(SELECT jsonb_array_elements_text(a->'i'))::uuid[],
        ARRAY(SELECT jsonb_array_elements_text(a->'t')),
        ARRAY(SELECT jsonb_array_elements_text(a->'v')::int),
        ARRAY(SELECT jsonb_array_elements(a->'d')),
        ARRAY(SELECT jsonb_array_elements(a->'m')));
    EXCEPTION WHEN SQLSTATE '${CONFLICT_SQLSTATE}' OR unique_violation THEN
      out := out || 0;
    END;
  END LOOP;
  RETURN out;
END
$fn$;
`,
    },
  ];
}
