import { type ErrorCode, ErrorCodes } from '@meridian/contracts/core';
import { AccountErrors, AuthErrors, ClientId, PrincipalAttributes, Role } from '@meridian/contracts/identity';
import { type Json, jsonSchema } from '@meridian/gateway/util-http';

/** Shared pieces of the admin operations' OpenAPI entries. */
export const ADMIN_TAG = 'admin';

export const userIdPath: Json = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'User id',
  schema: { type: 'string', format: 'uuid' },
};

export const clientIdPath = (): Json => ({
  name: 'clientId',
  in: 'path',
  required: true,
  description: "The service account's OAuth client id",
  schema: jsonSchema(ClientId),
});

export const idempotencyHeader = (derives: string): Json => ({
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: `Repeats with the same key and body get the first answer (kept 24 h); ${derives}`,
  schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,200}$' },
});

export const jsonBody = (schema: Json): Json => ({ required: true, content: { 'application/json': { schema } } });

export const jsonResponse = (description: string, schema: Json): Json => ({
  description,
  content: { 'application/json': { schema } },
});

/** `{...ids, version}`: what an accepted command answers. */
export const acceptedSchema = (ids: Readonly<Record<string, Json>>): Json => ({
  type: 'object',
  required: [...Object.keys(ids), 'version'],
  properties: { ...ids, version: { type: 'integer', description: "The stream's version after the command" } },
});

/** `{...ids, status: 'pending', correlationId}`: identity did not answer within the command timeout. */
export const pendingResponse = (ids: Readonly<Record<string, Json>>): Json =>
  jsonResponse('Sent, but identity did not answer within the timeout; it may still be applied.', {
    type: 'object',
    required: [...Object.keys(ids), 'status', 'correlationId'],
    properties: { ...ids, status: { const: 'pending' }, correlationId: { type: 'string' } },
  });

export const uuidId: Json = { type: 'string', format: 'uuid' };

/** A user or service account as GET answers it (`idField`: `id` or `clientId`). */
export const principalSchema = (idField: string): Json => ({
  type: 'object',
  required: [idField, 'name', 'roles', 'attributes', 'active', 'version'],
  properties: {
    [idField]: { type: 'string' },
    name: { type: 'string' },
    roles: { type: 'array', items: jsonSchema(Role) },
    attributes: jsonSchema(PrincipalAttributes),
    active: { type: 'boolean', description: 'False once disabled' },
    version: { type: 'integer' },
  },
});

export const listOf = (field: string, items: Json): Json => ({
  type: 'object',
  required: [field, 'numberReturned', 'links'],
  properties: {
    [field]: { type: 'array', items },
    numberReturned: { type: 'integer' },
    links: { type: 'array', items: { $ref: '#/components/schemas/Link' } },
  },
});

/** Refusals of a request with a JSON body, before identity sees it. */
export const bodyErrors: readonly ErrorCode[] = [
  ErrorCodes.requestMalformedJson,
  ErrorCodes.requestTooLarge,
  ErrorCodes.requestUnsupportedMediaType,
];

export const idempotencyErrors: readonly ErrorCode[] = [
  ErrorCodes.idempotencyKeyInvalid,
  ErrorCodes.idempotencyInProgress,
  ErrorCodes.idempotencyKeyReused,
];

/**
 * What identity itself refuses any administration command with: the policy's verdict on the acting
 * principal (checked again there: a command on the topic did not necessarily pass the gateway).
 */
export const identityRefusals: readonly ErrorCode[] = [AuthErrors.forbiddenRole, AuthErrors.outsideHours];

/** Refusals of the commands that carry a sealed secret (identity opens and checks it). */
export const secretRefusals: readonly ErrorCode[] = [AccountErrors.secretInvalid, AccountErrors.secretTooWeak];
