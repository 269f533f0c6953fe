/**
 * The form of a new zone and of a zone being edited: name, kind (new zones only: a zone keeps the
 * kind it was made with), validity and sensitivity. The outline is drawn on the map (Terra Draw);
 * the API judges it, and its problem `detail` is shown here, where the zone was drawn.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Polygon } from 'geojson';
import type { ZoneFeature, ZoneKind } from '../../api/types';
import { ErrorMessage, fromLocalInput, toLocalInput } from '../../ui/common';
import { EDITABLE_KINDS, type EditableKind, isConflict, KIND_LABELS } from './zone-api';
import { messageOf } from '../../api/client';

export interface ZoneFormValues {
  readonly name: string;
  readonly kind: EditableKind;
  /** `<input type="datetime-local">` values; '' = open. */
  readonly validFrom: string;
  readonly validTo: string;
  readonly sensitivity: number;
}

export const SENSITIVITIES = [
  { value: 0, label: '0 — public' },
  { value: 1, label: '1' },
  { value: 2, label: '2' },
  { value: 3, label: '3' },
  { value: 4, label: '4 — most sensitive' },
] as const;

export const NEW_ZONE: ZoneFormValues = { name: '', kind: 'geofence', validFrom: '', validTo: '', sensitivity: 0 };

export function valuesOf(zone: ZoneFeature): ZoneFormValues {
  const p = zone.properties;
  const local = (iso: string | null) => (iso ? toLocalInput(Date.parse(iso)) : '');
  return {
    name: p.name,
    kind: p.kind === 'mission_area' ? 'geofence' : p.kind,
    validFrom: local(p.validFrom),
    validTo: local(p.validTo),
    sensitivity: p.sensitivity ?? 0,
  };
}

/** An input's value as an RFC 3339 instant, or null when empty. */
export function instantOf(value: string): string | null {
  if (!value) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`“${value}” is not a date and time.`);
  return fromLocalInput(value);
}

export interface ZoneFormProps {
  readonly id: string;
  readonly title: string;
  readonly initial: ZoneFormValues;
  /** The kind of an existing zone (not editable); absent for a new zone. */
  readonly fixedKind?: ZoneKind;
  /** The outline on the map now (null: none yet). */
  readonly polygon: Polygon | null;
  /** What to tell about the outline (how to draw it, or why it cannot be edited). */
  readonly shapeHint: string;
  /** "Start over" / "Undo shape changes"; absent when the shape is not drawn here. */
  readonly shapeReset?: { readonly label: string; readonly run: () => void };
  /** Shows typed corners on the map (for keyboard use); absent when the shape is not drawn here. */
  readonly onTypedOutline?: (polygon: Polygon) => void;
  /** Saves; resolves once the change is readable, throws a refusal (shown here). */
  readonly onSave: (values: ZoneFormValues, progress: (words: string) => void) => Promise<void>;
  readonly onCancel: () => void;
  /** After a 412: read the zone again (its current version). */
  readonly onReload?: () => void;
}

export function ZoneForm(props: ZoneFormProps) {
  const { id, title, initial, fixedKind, polygon, shapeHint, shapeReset, onTypedOutline, onSave, onCancel, onReload } =
    props;
  const [values, setValues] = useState<ZoneFormValues>(initial);
  const [error, setError] = useState<unknown>(null);
  const [progress, setProgress] = useState<string | null>(null);
  const nameInput = useRef<HTMLInputElement>(null);
  const alive = useRef(true);
  useEffect(() => {
    nameInput.current?.focus();
    return () => {
      alive.current = false;
    };
  }, []);

  const set = <K extends keyof ZoneFormValues>(key: K, value: ZoneFormValues[K]) =>
    setValues((v) => ({ ...v, [key]: value }));

  const submit = async (e: Event) => {
    e.preventDefault();
    if (progress !== null) return;
    setError(null);
    if (!values.name.trim()) {
      setError(new Error('Give the zone a name.'));
      nameInput.current?.focus();
      return;
    }
    setProgress('Saving…');
    try {
      await onSave({ ...values, name: values.name.trim() }, (words) => alive.current && setProgress(words));
    } catch (err) {
      if (alive.current) setError(err);
    } finally {
      if (alive.current) setProgress(null);
    }
  };

  const conflict = isConflict(error);
  const corners = polygon ? Math.max(0, (polygon.coordinates[0]?.length ?? 1) - 1) : 0;

  return (
    <form class="zones-form" aria-labelledby={`${id}-title`} onSubmit={(e) => void submit(e)} noValidate>
      <h3 id={`${id}-title`}>{title}</h3>
      <p class="hint" role="status" aria-live="polite" data-testid="zones-shape">
        {polygon ? `Outline: ${corners} corners. ` : ''}
        {shapeHint}
      </p>
      {shapeReset && (
        <button type="button" onClick={shapeReset.run}>
          {shapeReset.label}
        </button>
      )}
      {onTypedOutline && <TypedOutline id={id} polygon={polygon} onOutline={onTypedOutline} />}

      <label for={`${id}-name`}>Name</label>
      <input
        id={`${id}-name`}
        ref={nameInput}
        required
        maxLength={200}
        value={values.name}
        onInput={(e) => set('name', e.currentTarget.value)}
        autocomplete="off"
      />

      {fixedKind ? (
        <p class="zones-kind-fixed">
          <strong>Kind:</strong> {KIND_LABELS[fixedKind]}{' '}
          <small class="hint">(a zone keeps the kind it was made with)</small>
        </p>
      ) : (
        <>
          <label for={`${id}-kind`}>Kind</label>
          <select
            id={`${id}-kind`}
            value={values.kind}
            onChange={(e) => set('kind', e.currentTarget.value as EditableKind)}
          >
            {EDITABLE_KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_LABELS[k]}
              </option>
            ))}
          </select>
        </>
      )}

      <div class="zones-validity">
        <div>
          <label for={`${id}-from`}>Valid from (optional)</label>
          <input
            id={`${id}-from`}
            type="datetime-local"
            value={values.validFrom}
            onInput={(e) => set('validFrom', e.currentTarget.value)}
          />
        </div>
        <div>
          <label for={`${id}-to`}>Valid to (optional)</label>
          <input
            id={`${id}-to`}
            type="datetime-local"
            value={values.validTo}
            onInput={(e) => set('validTo', e.currentTarget.value)}
          />
        </div>
      </div>

      <label for={`${id}-sensitivity`}>Sensitivity</label>
      <select
        id={`${id}-sensitivity`}
        value={values.sensitivity}
        onChange={(e) => set('sensitivity', Number(e.currentTarget.value))}
      >
        {SENSITIVITIES.map((s) => (
          <option key={s.value} value={s.value}>
            {s.label}
          </option>
        ))}
      </select>

      {conflict ? (
        <div class="state error" role="alert">
          <span>
            Someone else changed this zone after you opened it, so it was not saved ({messageOf(error)}). Reload it to
            see the current version, then make your change again.
          </span>
          {onReload && (
            <button type="button" onClick={onReload}>
              Reload
            </button>
          )}
        </div>
      ) : (
        <ErrorMessage error={error} />
      )}
      {progress !== null && (
        <p class="state loading" role="status" aria-live="polite">
          <span class="spinner" aria-hidden="true" /> {progress}
        </p>
      )}
      <div class="zones-actions">
        <button type="submit" class="primary" disabled={progress !== null}>
          Save
        </button>
        <button type="button" onClick={onCancel} disabled={progress !== null}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** `lon, lat` per line → a closed ring (at least three corners), or the reason it is not one. */
export function parseCorners(text: string): Polygon | string {
  const corners: [number, number][] = [];
  const lines = text.split('\n').filter((line) => line.trim());
  for (const [i, line] of lines.entries()) {
    const numbers = line
      .trim()
      .split(/[\s,;]+/)
      .map(Number);
    const [lon, lat] = numbers;
    if (numbers.length !== 2 || lon === undefined || lat === undefined || numbers.some(Number.isNaN)) {
      return `Line ${i + 1} is not “lon, lat”.`;
    }
    corners.push([Math.round(lon * 1e9) / 1e9, Math.round(lat * 1e9) / 1e9]);
  }
  const [first] = corners;
  const last = corners[corners.length - 1];
  if (first && last && corners.length > 1 && first[0] === last[0] && first[1] === last[1]) corners.pop();
  if (!first || corners.length < 3) return 'An outline needs at least three corners.';
  return { type: 'Polygon', coordinates: [[...corners, first]] };
}

/** The outline's corners as text, for those who do not draw with a pointer. */
function TypedOutline(props: { id: string; polygon: Polygon | null; onOutline: (polygon: Polygon) => void }) {
  const { id, polygon, onOutline } = props;
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const open = (e: Event) => {
    const ring = polygon?.coordinates[0];
    if ((e.currentTarget as HTMLDetailsElement).open && !text && ring) {
      setText(
        ring
          .slice(0, -1)
          .map(([lon, lat]) => `${lon}, ${lat}`)
          .join('\n'),
      );
    }
  };
  const show = () => {
    const parsed = parseCorners(text);
    if (typeof parsed === 'string') {
      setProblem(parsed);
      return;
    }
    setProblem(null);
    onOutline(parsed);
  };
  return (
    <details class="zones-typed" onToggle={open}>
      <summary>Type the corners instead</summary>
      <label for={`${id}-corners`}>Corners, one “lon, lat” per line</label>
      <textarea
        id={`${id}-corners`}
        rows={5}
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        placeholder={'8.50, 47.36\n8.56, 47.36\n8.56, 47.40'}
      />
      {problem && (
        <p class="state error" role="alert">
          {problem}
        </p>
      )}
      <button type="button" onClick={show}>
        Show on the map
      </button>
    </details>
  );
}
