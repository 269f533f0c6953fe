/**
 * A new mission: its area drawn on the map (Terra Draw, map/draw.ts), title, priority, window and
 * workflow definition → POST /v1/missions; the API's refusal is shown at the form, and the mission
 * opens once it can be read.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../../api/client';
import type { Mission } from '../../api/types';
import { useConsole } from '../../app/context';
import { go } from '../../app/route';
import { type PolygonDrawing, polygonDrawing } from '../../map/draw';
import { ErrorMessage, fromLocalInput, toLocalInput } from '../../ui/common';
import { type CreateReply, viewRectangle } from './mission-model';

/** How long a created mission may take to become readable before the form says so. */
const READABLE_TIMEOUT_MS = 20_000;
const HOUR = 3_600_000;

const nextHour = (): number => Math.ceil(Date.now() / HOUR) * HOUR;

type Phase =
  | { readonly kind: 'editing' }
  | { readonly kind: 'sending' }
  | { readonly kind: 'waiting'; readonly id: string }
  | { readonly kind: 'unreadable'; readonly id: string };

export function NewMission() {
  const { api, map } = useConsole();
  const drawing = useRef<PolygonDrawing | null>(null);
  const [area, setArea] = useState<GeoJSON.Polygon | null>(null);
  const [title, setTitle] = useState('');
  const [priority, setPriority] = useState(3);
  const [start, setStart] = useState(() => toLocalInput(nextHour()));
  const [end, setEnd] = useState(() => toLocalInput(nextHour() + 2 * HOUR));
  const [definition, setDefinition] = useState('default');
  const [phase, setPhase] = useState<Phase>({ kind: 'editing' });
  const [error, setError] = useState<unknown>(null);
  const waiting = useRef<AbortController | null>(null);

  useEffect(() => {
    const d = polygonDrawing(map);
    drawing.current = d;
    const off = d.onChange(setArea);
    d.draw();
    return () => {
      off();
      d.stop();
      drawing.current = null;
      waiting.current?.abort();
    };
  }, [map]);

  const corners = area ? Math.max(0, (area.coordinates[0]?.length ?? 1) - 1) : 0;

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    if (!area) return setError('Draw the mission’s area on the map first (or use the visible map area).');
    if (!start || !end) return setError('Give the window’s start and end.');
    setPhase({ kind: 'sending' });
    let id: string;
    try {
      const body = {
        title: title.trim(),
        definition: definition.trim() || 'default',
        priority,
        area,
        window: { start: fromLocalInput(start), end: fromLocalInput(end) },
      };
      const reply = await api.post<CreateReply>('/v1/missions', body);
      id = reply.id;
    } catch (err) {
      setError(err);
      setPhase({ kind: 'editing' });
      return;
    }
    // Created: open it once the read side has it (a 404 until then).
    setPhase({ kind: 'waiting', id });
    const controller = new AbortController();
    waiting.current = controller;
    const until = Date.now() + READABLE_TIMEOUT_MS;
    for (let attempt = 1; !controller.signal.aborted; attempt += 1) {
      try {
        await api.get<Mission>(`/v1/missions/${encodeURIComponent(id)}`, undefined, controller.signal);
        go('missions', id);
        return;
      } catch (err) {
        if (controller.signal.aborted) return;
        if (!(err instanceof ApiError && err.status === 404) || Date.now() > until) {
          if (!(err instanceof ApiError && err.status === 404)) setError(err);
          setPhase({ kind: 'unreadable', id });
          return;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 150 * attempt)));
    }
  };

  const busy = phase.kind === 'sending' || phase.kind === 'waiting';

  return (
    <form class="missions-new" onSubmit={(e) => void submit(e)} aria-label="New mission">
      <button type="button" class="link back" onClick={() => go('missions')}>
        ← All missions
      </button>
      <h2>New mission</h2>
      <section aria-label="Area" class="missions-area-step">
        <p class="hint" id="missions-area-help">
          Click on the map to add the corners of the mission’s area; click the first corner to close it. Drag a corner
          to change it.
        </p>
        <p data-testid="missions-area-status" role="status" aria-live="polite">
          {area ? `Area drawn: ${corners} corners.` : 'No area drawn yet.'}
        </p>
        <div class="missions-toolbar">
          <button type="button" onClick={() => drawing.current?.draw()} disabled={busy}>
            {area ? 'Redraw the area' : 'Start drawing again'}
          </button>
          <button
            type="button"
            onClick={() => {
              const b = map.getBounds();
              drawing.current?.edit(
                viewRectangle({ west: b.getWest(), south: b.getSouth(), east: b.getEast(), north: b.getNorth() }),
              );
            }}
            disabled={busy}
          >
            Use the visible map area
          </button>
        </div>
      </section>
      <label for="missions-title">Title</label>
      <input
        id="missions-title"
        value={title}
        required
        maxLength={200}
        onInput={(e) => setTitle(e.currentTarget.value)}
        disabled={busy}
      />
      <label for="missions-priority">Priority (1–5)</label>
      <select
        id="missions-priority"
        value={priority}
        onChange={(e) => setPriority(Number(e.currentTarget.value))}
        disabled={busy}
      >
        {[1, 2, 3, 4, 5].map((p) => (
          <option key={p} value={p}>
            {p}
          </option>
        ))}
      </select>
      <div class="missions-window">
        <div>
          <label for="missions-start">Window start</label>
          <input
            id="missions-start"
            type="datetime-local"
            value={start}
            required
            onInput={(e) => setStart(e.currentTarget.value)}
            disabled={busy}
          />
        </div>
        <div>
          <label for="missions-end">Window end</label>
          <input
            id="missions-end"
            type="datetime-local"
            value={end}
            required
            onInput={(e) => setEnd(e.currentTarget.value)}
            disabled={busy}
          />
        </div>
      </div>
      <label for="missions-definition">Workflow definition</label>
      <input
        id="missions-definition"
        value={definition}
        onInput={(e) => setDefinition(e.currentTarget.value)}
        disabled={busy}
        aria-describedby="missions-definition-help"
      />
      <p class="hint" id="missions-definition-help">
        The key of a published workflow definition; <code>default</code> unless your organisation has its own.
      </p>
      <ErrorMessage error={error} />
      {phase.kind === 'waiting' && (
        <p class="state loading" role="status" aria-live="polite">
          <span class="spinner" aria-hidden="true" /> Created; opening it as soon as it can be read…
        </p>
      )}
      {phase.kind === 'unreadable' && (
        <p class="state" role="status">
          The mission was created but cannot be read yet.{' '}
          <a href={`#/missions/${encodeURIComponent(phase.id)}`}>Open it</a> in a moment.
        </p>
      )}
      <div class="missions-toolbar">
        <button type="submit" class="primary" disabled={busy || phase.kind === 'unreadable'}>
          {phase.kind === 'sending' ? 'Creating…' : 'Create mission'}
        </button>
        <button type="button" onClick={() => go('missions')}>
          Cancel
        </button>
      </div>
    </form>
  );
}
