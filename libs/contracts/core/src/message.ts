import { z } from 'zod';
import { CodedError, ErrorCodes } from './errors';
import type { Envelope } from './envelope';

export type MessageKind = 'command' | 'event' | 'query' | 'reply' | 'telemetry';

/** One versioned message type of the public contract. A breaking change is a new type, never an edit. */
export interface MessageContract<S extends z.ZodType = z.ZodType> {
  readonly type: string;
  readonly kind: MessageKind;
  readonly schema: S;
  readonly dataschema: string;
  readonly description: string;
}

export type DataOf<C extends MessageContract> = z.infer<C['schema']>;

export function defineMessage<S extends z.ZodType>(
  type: string,
  kind: MessageKind,
  schema: S,
  description: string,
): MessageContract<S> {
  const dataschema = `https://schemas.meridian.dev/${type.replace(/\./g, '/')}.json`;
  return { type, kind, schema, dataschema, description };
}

/** Validates an envelope's data against its contract (both edges call this). */
export function parseData<C extends MessageContract>(contract: C, envelope: Envelope): DataOf<C> {
  if (envelope.type !== contract.type) {
    throw new CodedError(ErrorCodes.contractViolation, `expected ${contract.type}, got ${envelope.type}`);
  }
  const result = contract.schema.safeParse(envelope.data);
  if (!result.success) {
    throw new CodedError(ErrorCodes.contractViolation, `${contract.type}: ${z.prettifyError(result.error)}`);
  }
  return result.data as DataOf<C>;
}

/** A message type and the topic it travels on: each context's `catalogue` lists its own. */
export interface CatalogueEntry {
  readonly contract: MessageContract;
  readonly topic: string;
}
