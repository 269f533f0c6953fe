import { assertIdentifier, type Migration } from '@meridian/shared/event-store';
import { TimerEventTypes } from './timer.events';

/** The NOTIFY channel on which the trigger announces newly scheduled timers of a schema. */
export const timersChannel = (schema: string): string => `${assertIdentifier(schema)}_timers`;

/**
 * `<schema>.timers`, kept by a trigger on `<schema>.events`: a timer row is written by the
 * transaction that appends its event, so a timer exists if and only if its event does, and the
 * dispatchers (poller or BullMQ) only ever read and settle rows. Ids 100–109 of the schema's
 * migrations; they run after the event store's own (ids 1–2).
 */
export function timerMigrationsFor(schema: string): Migration[] {
  const s = assertIdentifier(schema);
  const { scheduled, cancelled, fired } = TimerEventTypes;
  return [
    {
      id: 100,
      name: 'mission timers',
      sql: `
-- attempts/last_error: failed firings; next_attempt_at: due_at, pushed back by a claim's lease or a
-- retry's backoff. scheduled_xid: the appending transaction, so a reconciliation can read "every
-- row committed since my last look" in commit-safe order, like $all (see BullmqTimers).
CREATE TABLE ${s}.timers (
  timer_id uuid PRIMARY KEY,
  stream_id text NOT NULL,
  tenant_id text NOT NULL,
  mission_id uuid NOT NULL,
  send_id text NOT NULL,
  event text NOT NULL,
  due_at timestamptz NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'fired', 'cancelled')),
  scheduled_at timestamptz NOT NULL DEFAULT now(),
  scheduled_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  settled_at timestamptz,
  attempts int NOT NULL DEFAULT 0,
  last_error text,
  next_attempt_at timestamptz NOT NULL,
  CHECK ((state = 'pending') = (settled_at IS NULL))
);
CREATE INDEX timers_due ON ${s}.timers (next_attempt_at) WHERE state = 'pending';
CREATE INDEX timers_scheduled ON ${s}.timers (scheduled_xid) WHERE state = 'pending';

-- Fired and cancelled are final: nothing sets a settled row back to pending. A timer id is
-- scheduled once (a Redis job keeps the delay it was added with): moving a timer is cancelling it
-- and scheduling a new id, as the decider does. A malformed timer event (no timer id, a bad date)
-- fails its append rather than leave a timer without its row.
CREATE FUNCTION ${s}.timers_apply_event() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  d jsonb := NEW.data;
BEGIN
  IF NEW.type = '${scheduled}' THEN
    INSERT INTO ${s}.timers
      (timer_id, stream_id, tenant_id, mission_id, send_id, event, due_at, next_attempt_at)
    VALUES ((d->>'timerId')::uuid, NEW.stream_id, d->>'tenantId', (d->>'missionId')::uuid, d->>'sendId',
            d->>'event', (d->>'dueAt')::timestamptz, (d->>'dueAt')::timestamptz)
    ON CONFLICT (timer_id) DO NOTHING;
    PERFORM pg_notify('${timersChannel(s)}', '');
  ELSIF NEW.type = '${cancelled}' THEN
    UPDATE ${s}.timers SET state = 'cancelled', settled_at = now()
      WHERE timer_id = (d->>'timerId')::uuid AND state = 'pending';
  ELSE
    UPDATE ${s}.timers SET state = 'fired', settled_at = now()
      WHERE timer_id = (d->>'timerId')::uuid AND state = 'pending';
  END IF;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER timers_from_events AFTER INSERT ON ${s}.events
  FOR EACH ROW WHEN (NEW.type IN ('${scheduled}', '${cancelled}', '${fired}'))
  EXECUTE FUNCTION ${s}.timers_apply_event();
`,
    },
  ];
}

/** The workflow service's timers (schema `workflow`), for EventSourcingModule's `migrations`. */
export const timerMigrations: Migration[] = timerMigrationsFor('workflow');
