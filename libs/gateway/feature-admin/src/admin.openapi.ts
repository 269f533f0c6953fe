import { ErrorCodes } from '@meridian/contracts/core';
import { AccountErrors, AuthErrors, IdentityErrors } from '@meridian/contracts/identity';
import { errorResponses, jsonSchema, pageParameters, registerOperation } from '@meridian/gateway/util-http';
import { MembershipBody } from './admin-commands';
import { CreateServiceAccountBody } from './service-accounts/service-accounts.controller';
import { RotateKeysBody } from './signing-keys/rotate-keys.controller';
import { CreateUserBody } from './users/users.controller';

const json = (description: string) => ({
  description,
  content: { 'application/json': { schema: { type: 'object' } } },
});
const body = (schema: object) => ({ required: true, content: { 'application/json': { schema } } });
const idPath = (name: string, format?: string) => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string', ...(format ? { format } : {}) },
});
const refusals = [ErrorCodes.requestInvalid, AuthErrors.forbiddenRole, ErrorCodes.upstreamTimeout];

/** The same five operations for users and service accounts. */
function principalOperations(
  base: string,
  noun: string,
  id: ReturnType<typeof idPath>,
  create: object,
  notFound: string,
  conflict: readonly string[],
) {
  const tags = ['admin'];
  const name = noun
    .split(' ')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
  const item = `${base}/{${id.name}}`;
  registerOperation(base, 'post', () => ({
    summary: `Create a ${noun} (identity:admin)`,
    operationId: `create${name}`,
    tags,
    requestBody: body(jsonSchema(create as never)),
    responses: { '201': json('Created.'), ...errorResponses(...refusals, ...conflict, IdentityErrors.tenantUnknown) },
  }));
  registerOperation(base, 'get', () => ({
    summary: `List the tenant's ${noun}s (identity:read)`,
    operationId: `list${name}s`,
    tags,
    parameters: [...pageParameters],
    responses: { '200': json('`{items, numberReturned, links}`: id, name, roles, attributes, version.') },
  }));
  registerOperation(item, 'get', () => ({
    summary: `One ${noun} (identity:read)`,
    operationId: `get${name}`,
    tags,
    parameters: [id],
    responses: { '200': json('id, name, roles, attributes, version.'), ...errorResponses(notFound, ...refusals) },
  }));
  registerOperation(`${item}/membership`, 'put', () => ({
    summary: `Replace a ${noun}'s roles and attributes (identity:admin; a permission change)`,
    operationId: `set${name}Membership`,
    tags,
    parameters: [id],
    requestBody: body(jsonSchema(MembershipBody)),
    responses: { '200': json('Changed: `{version}`.'), ...errorResponses(notFound, ...refusals) },
  }));
  registerOperation(item, 'delete', () => ({
    summary: `Disable a ${noun} (identity:admin): its tokens are refused within seconds`,
    operationId: `disable${name}`,
    tags,
    parameters: [id],
    responses: { '204': { description: 'Disabled.' }, ...errorResponses(notFound, ...refusals) },
  }));
}

principalOperations('/v1/users', 'user', idPath('id', 'uuid'), CreateUserBody, AccountErrors.userNotFound, [
  AccountErrors.usernameTaken,
]);
principalOperations(
  '/v1/service-accounts',
  'service account',
  idPath('clientId'),
  CreateServiceAccountBody,
  AccountErrors.serviceAccountNotFound,
  [AccountErrors.serviceAccountAlreadyExists],
);

registerOperation('/v1/admin/signing-keys/rotate', 'post', () => ({
  summary: 'Rotate the token signing key now (platform administrator)',
  operationId: 'rotateSigningKey',
  tags: ['admin'],
  requestBody: body(jsonSchema(RotateKeysBody)),
  responses: {
    '202': json('Accepted: the next key signs after the activation delay.'),
    ...errorResponses(...refusals),
  },
}));
