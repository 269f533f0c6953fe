import { z } from 'zod';

/** Printable text: control characters (NUL above all, which Postgres jsonb refuses) are rejected at the edge. */
export const DisplayName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters');
