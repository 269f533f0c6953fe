import { epochMicros } from './positions.writes';

/**
 * RFC 3339 in UTC of an instant in epoch microseconds: milliseconds as `toISOString` writes them
 * when the instant has no finer part, else six fractional digits (what PostgreSQL keeps).
 */
export function isoMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const rest = micros - ms * 1000;
  const iso = new Date(ms).toISOString();
  return rest === 0 ? iso : `${iso.slice(0, -1)}${String(rest).padStart(3, '0')}Z`;
}

/** The same instant as `isoMicros`, from any RFC 3339 spelling (e.g. `to_json(timestamptz)`). */
export const utcInstant = (text: string): string => isoMicros(epochMicros(text));
