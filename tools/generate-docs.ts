/**
 * Generates the published contract documents from the code that enforces them:
 *   docs/api/openapi.json     the gateway's HTTP API (buildOpenApi)
 *   docs/events/asyncapi.json the Kafka contract (AsyncAPI 3.0.0, from the contracts catalogue)
 * `npm run docs:contracts` writes both; test/docs.spec.ts fails when the committed files differ.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  AssetRegisteredV1,
  AssetRegisteredV2,
  AssetsExistV1,
  AssetStatusChangedV1,
  GetAssetV1,
  ListAssetsInBboxV1,
  RegisterAssetV1,
  RegisterAssetV2,
} from '@meridian/contracts/assets';
import {
  type CatalogueEntry,
  CommandReplyV1,
  dlqDefinitions,
  dlqTopic,
  errorDefinitions,
  MeridianHeaders,
  type MessageContract,
  type MessageKind,
  QueryReplyV1,
  REPLY_ADDRESS,
  replyTopicDefinition,
  type TopicDefinition,
  topicDefinitions,
  Topics,
} from '@meridian/contracts/core';
import { RegisterTenantV1, TenantId, TenantRegisteredV1 } from '@meridian/contracts/identity';
import { PositionReportedV1 } from '@meridian/contracts/telemetry';
import { buildOpenApi } from '@meridian/gateway/util-http';
import '../apps/gateway/src/app.module';
import { version } from '../package.json';

type Json = Record<string, unknown>;

export const ROOT = resolve(__dirname, '..');
export const OPENAPI_PATH = 'docs/api/openapi.json';
export const ASYNCAPI_PATH = 'docs/events/asyncapi.json';
export const ERRORS_PATH = 'docs/errors.md';
export const OPENAPI_SERVER = 'http://127.0.0.1:8080';

/**
 * Every bounded context's contracts lib (libs/contracts/<context>), loaded by discovery: a new
 * context's messages and error codes reach the documents without an edit here.
 */
/** Contracts libs are discovered at run time, so they are loaded by path rather than imported. */
const load = createRequire(__filename);

function contractLibs(): Record<string, unknown>[] {
  const dir = join(ROOT, 'libs', 'contracts');
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => load(join(dir, d.name, 'src', 'index.ts')) as Record<string, unknown>);
}

export const catalogue: readonly CatalogueEntry[] = contractLibs().flatMap(
  (lib) => (lib['catalogue'] as readonly CatalogueEntry[] | undefined) ?? [],
);
const REPLY_CHANNEL = 'meridian.replies';
const DEAD_LETTER = 'meridian.dead-letter';
const KAFKA_BINDING = '0.5.0';

/** 2-space JSON with a trailing newline: the exact bytes committed under docs/. */
export const render = (doc: unknown): string => `${JSON.stringify(doc, null, 2)}\n`;

/**
 * Draft-07 JSON Schema, the AsyncAPI 3.0 default schema format. The `$schema` line is dropped:
 * the document's schema format already says what these are.
 */
function jsonSchema(schema: z.ZodType): Json {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-7' }) as Json;
  return rest;
}

export function buildOpenApiDocument(): Json {
  return buildOpenApi(OPENAPI_SERVER);
}

// ---------------------------------------------------------------------------------------------
// Kafka keys: the partitioning (and so the ordering) of each message type.

const uuidKey = (what: string): Json => ({ ...jsonSchema(z.uuid()), description: what });
const noKey: Json = {
  type: 'null',
  description: 'No key: the producer spreads these messages over the partitions; nothing orders them.',
};
const tenantKey: Json = {
  ...jsonSchema(TenantId),
  description: 'Tenant id: every message of one tenant lands in one partition, in order.',
};

const keyByKind: Readonly<Record<MessageKind, Json>> = {
  command: { type: 'string', description: 'Aggregate (stream) id: messages of one aggregate stay in order.' },
  event: { type: 'string', description: 'Aggregate (stream) id: messages of one aggregate stay in order.' },
  telemetry: uuidKey('Asset id: the fixes of one asset stay in order.'),
  query: noKey,
  reply: noKey,
};

const keyByType: Readonly<Record<string, Json>> = {
  [RegisterAssetV1.type]: uuidKey(
    'Asset id (the id the gateway chose for the new asset): commands of one asset stay in order.',
  ),
  [AssetRegisteredV1.type]: uuidKey('Asset id: the events of one asset stay in order.'),
  [RegisterAssetV2.type]: uuidKey(
    'Asset id (the id the gateway chose for the new asset): commands of one asset stay in order.',
  ),
  [AssetRegisteredV2.type]: uuidKey('Asset id: the events of one asset stay in order.'),
  [AssetStatusChangedV1.type]: uuidKey('Asset id: the events of one asset stay in order.'),
  [PositionReportedV1.type]: uuidKey('Asset id: the fixes of one asset stay in order.'),
  [RegisterTenantV1.type]: {
    ...tenantKey,
    description: 'Tenant id (DESIGN §2: the aggregate id).',
  },
  [TenantRegisteredV1.type]: tenantKey,
};

const keyOf = (contract: MessageContract): Json => keyByType[contract.type] ?? keyByKind[contract.kind];

// ---------------------------------------------------------------------------------------------
// Headers: CloudEvents 1.0 Kafka binary content mode plus Meridian's tracing headers.

const h = MeridianHeaders;

const cloudEventHeaders: Json = {
  type: 'object',
  description:
    'CloudEvents 1.0 attributes in Kafka binary content mode (`ce_*` headers, data in the record value) plus the ' +
    'tracing headers every Meridian message carries. A record without the required CloudEvents headers or without ' +
    '`correlation-id` is a CONTRACT.VIOLATION and goes to the dead-letter topic.',
  required: ['ce_id', 'ce_type', 'ce_source', 'ce_time', 'ce_specversion', 'content-type', h.correlationId],
  properties: {
    ce_id: {
      type: 'string',
      description:
        'Event id. Integration events reuse the stored event id, so a relay retry republishes the same id; a command ' +
        'handler derives its event ids from the command id, so a redelivered command appends nothing twice.',
    },
    ce_type: {
      type: 'string',
      description: 'The versioned message type, e.g. `meridian.workflow.asset.registered.v1`.',
    },
    ce_source: {
      type: 'string',
      pattern: '^/meridian/[a-z-]+$',
      description: 'The producing service, `/meridian/<service>`.',
    },
    ce_time: {
      type: 'string',
      format: 'date-time',
      description: 'When the event happened (for integration events: when it was stored).',
    },
    ce_specversion: { type: 'string', const: '1.0' },
    ce_dataschema: {
      type: 'string',
      format: 'uri',
      description: "URI naming the data's schema version (`https://schemas.meridian.dev/<type with / for .>.json`).",
    },
    ce_subject: {
      type: 'string',
      description: 'The aggregate the event is about, where there is one (asset events: the asset id).',
    },
    ce_datacontenttype: {
      type: 'string',
      const: 'application/json',
      description: 'Written beside `content-type` for readers that look for the attribute.',
    },
    'content-type': {
      type: 'string',
      const: 'application/json',
      description: 'CloudEvents `datacontenttype` in binary mode: the value is UTF-8 JSON.',
    },
    [h.traceparent]: {
      type: 'string',
      description: 'W3C Trace Context `traceparent`, passed on when the message being handled had one.',
    },
    [h.correlationId]: {
      type: 'string',
      description: 'Ties together everything done for one request; a reply carries the correlation id of its request.',
    },
    [h.causationId]: { type: 'string', description: 'Id of the message that caused this one.' },
    [h.tenantId]: {
      type: 'string',
      pattern: '^[a-z0-9][a-z0-9-]{1,62}$',
      description: 'Tenant the message belongs to.',
    },
    [h.replyTo]: {
      type: 'string',
      description: 'On commands and queries: the topic the reply goes to, `meridian.<service>.replies.<instance>`.',
    },
    [h.replyKey]: {
      type: 'string',
      description:
        'On requests, set by the requester; echoed in the reply, which is matched by it (never by the ' +
        'client-supplied correlation id).',
    },
  },
};

/** What each kind of message must carry beyond the common headers. */
const requiredByKind: Readonly<Record<MessageKind, readonly string[]>> = {
  command: [h.tenantId, h.replyTo, h.replyKey],
  query: [h.tenantId, h.replyTo, h.replyKey],
  telemetry: [h.tenantId],
  event: [],
  reply: [h.replyKey],
};

function headersOf(contract: MessageContract): Json {
  const extra = requiredByKind[contract.kind];
  return {
    allOf: [
      { $ref: '#/components/schemas/CloudEventHeaders' },
      {
        type: 'object',
        ...(extra.length ? { required: [...extra] } : {}),
        properties: { ce_type: { const: contract.type }, ce_dataschema: { const: contract.dataschema } },
      },
    ],
  };
}

const deadLetterHeaders: Json = {
  type: 'object',
  description:
    'Every header of the original record is kept (so a CloudEvent stays one), plus the reason it was parked. Nothing ' +
    'else about the original record is guaranteed: it may not be a CloudEvent at all.',
  required: [h.error, h.errorCode, h.originalTopic, h.originalPartition, h.originalOffset],
  properties: {
    [h.error]: { type: 'string', maxLength: 4000, description: 'The error message, truncated to 4,000 characters.' },
    [h.errorCode]: {
      type: 'string',
      description: 'Stable code of the error (e.g. `CONTRACT.VIOLATION`), or `UNKNOWN` for an error without one.',
    },
    [h.originalTopic]: { type: 'string' },
    [h.originalPartition]: { type: 'string', pattern: '^[0-9]+$' },
    [h.originalOffset]: { type: 'string', pattern: '^[0-9]+$' },
  },
  additionalProperties: { type: 'string' },
};

// ---------------------------------------------------------------------------------------------
// Messages, channels and operations.

const messageId = (contract: MessageContract): string => contract.type;

function messageOf(contract: MessageContract): Json {
  return {
    name: contract.type,
    title: contract.type,
    summary: contract.description,
    contentType: 'application/json',
    tags: [{ name: `kind:${contract.kind}` }],
    correlationId: { description: 'Request–reply and tracing', location: `$message.header#/${h.correlationId}` },
    headers: headersOf(contract),
    payload: jsonSchema(contract.schema),
    bindings: { kafka: { key: keyOf(contract), bindingVersion: KAFKA_BINDING } },
  };
}

const deadLetterMessage: Json = {
  name: DEAD_LETTER,
  title: 'Dead letter',
  summary: 'A record a consumer could not process, parked with the error so consumption goes on.',
  description:
    'Poison records (code `CONTRACT.VIOLATION` or `REQUEST.INVALID`: not a CloudEvent, no correlation-id, or, on ' +
    'event and telemetry topics, data failing its schema) are parked at once; other failures only where the ' +
    'consumer bounds its attempts (reply topics and the gateway tenant directory: one attempt). Key, value and ' +
    'headers are copied from the original record.',
  contentType: 'application/octet-stream',
  headers: deadLetterHeaders,
  payload: { description: 'The original record value, byte for byte.' },
  bindings: {
    kafka: {
      key: { type: ['string', 'null'], description: 'The original record key.' },
      bindingVersion: KAFKA_BINDING,
    },
  },
};

function kafkaTopicBinding(
  t: Pick<TopicDefinition, 'partitions' | 'retentionMs' | 'cleanupPolicy' | 'maxMessageBytes'>,
): Json {
  return {
    kafka: {
      partitions: t.partitions,
      topicConfiguration: {
        'cleanup.policy': [t.cleanupPolicy],
        'retention.ms': t.retentionMs,
        ...(t.maxMessageBytes ? { 'max.message.bytes': t.maxMessageBytes } : {}),
      },
      bindingVersion: KAFKA_BINDING,
    },
  };
}

/** Prose per topic; a topic that carries nothing yet says which piece of work will fill it. */
const channelDescriptions: Readonly<Record<string, string>> = {
  [Topics.workflowCommands]:
    'Commands to the workflow service (assets now; zones, definitions and missions later). Each is answered on the ' +
    'reply-to topic.',
  [Topics.workflowEvents]:
    'Integration events of the workflow service, published by its outbox relay from the event store. Kept forever.',
  [Topics.identityCommands]:
    'Commands to the identity service. Nothing sends them yet: the tenants named in IDENTITY_BOOTSTRAP_TENANTS are ' +
    'registered by identity itself at start, and an administration API is planned with the identity issue.',
  [Topics.identityEvents]:
    'Integration events of the identity service, published by its outbox relay. The gateway builds its tenant ' +
    'directory from them. Kept forever.',
  [Topics.identityKeys]:
    'Declared and provisioned, not used yet: signing keys (compacted) arrive with the OpenID Connect work.',
  [Topics.identityPrincipals]:
    'Declared and provisioned, not used yet: principal snapshots (compacted) arrive with the permissions work.',
  [Topics.projectionEvents]:
    'Integration events derived by projection (geofence enter/exit), published by its outbox relay. Workflow ' +
    "reads them for mission arrivals; projection's webhook fan-out reads them for subscriptions. Kept 30 days.",
  [Topics.projectionRequests]:
    'Webhook subscription commands and queries to projection, answered on the reply-to topic with a query reply. ' +
    'Signing secrets travel sealed (AES-256-GCM under SECRETS_KEY), never in clear. Short retention.',
  [Topics.geoQueryRequests]:
    'Queries to geo-query, answered on the reply-to topic. Short retention: an unanswered query is worthless after ' +
    'its timeout.',
  [Topics.telemetryPositions]:
    'Position fixes accepted by the gateway, one fix per record. A stream, not aggregate events.',
};

interface OperationSpec {
  readonly service: string;
  readonly action: 'send' | 'receive';
  readonly channel: string;
  readonly summary: string;
  /** Message types; default: every message of the channel. */
  readonly messages?: readonly string[];
  /** Reply sent to the request's reply-to topic. */
  readonly reply?: readonly MessageContract[];
  /** Consumer group, exact or as a pattern. */
  readonly groupId?: { readonly const?: string; readonly pattern?: string };
}

const operationSpecs: readonly OperationSpec[] = [
  {
    service: 'gateway',
    action: 'send',
    channel: Topics.workflowCommands,
    summary:
      'gateway sends commands to workflow (POST /v1/assets) and waits for the reply up to ' +
      'GATEWAY_COMMAND_TIMEOUT_MS; no reply in time is answered 202 pending.',
    reply: [CommandReplyV1],
  },
  {
    service: 'workflow',
    action: 'receive',
    channel: Topics.workflowCommands,
    summary:
      'workflow decides each command against its aggregate, appends the events and replies accepted (with the stream ' +
      'version) or rejected (with a stable code).',
    reply: [CommandReplyV1],
    groupId: { const: 'workflow.commands' },
  },
  {
    service: 'workflow',
    action: 'send',
    channel: Topics.workflowEvents,
    summary:
      "workflow's outbox relay publishes its stored domain events, mapped to integration events, in commit order.",
  },
  {
    service: 'projection',
    action: 'receive',
    channel: Topics.workflowEvents,
    summary:
      'projection applies asset events to read.asset_latest, guarded by the stream version; unknown types are skipped.',
    groupId: { const: 'projection.workflow-events' },
  },
  {
    service: 'gateway',
    action: 'send',
    channel: Topics.telemetryPositions,
    summary:
      'gateway publishes every accepted fix (POST /v1/telemetry) and answers 202 only after the broker acknowledged ' +
      'them all (acks=all).',
  },
  {
    service: 'projection',
    action: 'receive',
    channel: Topics.telemetryPositions,
    summary:
      'projection writes fixes in batches into read.positions (idempotent on asset id and ts) and the newest per ' +
      'asset into read.asset_latest.',
    groupId: { const: 'projection.telemetry' },
  },
  {
    service: 'gateway',
    action: 'send',
    channel: Topics.geoQueryRequests,
    summary:
      'gateway sends queries (GET /v1/assets, GET /v1/assets/{id}, the unknown-asset check of telemetry) and waits ' +
      'up to GATEWAY_QUERY_TIMEOUT_MS; no reply in time is a 504.',
    messages: [GetAssetV1.type, ListAssetsInBboxV1.type, AssetsExistV1.type],
    reply: [QueryReplyV1],
  },
  {
    service: 'geo-query',
    action: 'receive',
    channel: Topics.geoQueryRequests,
    summary: 'geo-query answers each query from the PostGIS read models, scoped to the tenant-id header.',
    reply: [QueryReplyV1],
    groupId: { const: 'geo-query.requests' },
  },
  {
    service: 'gateway',
    action: 'send',
    channel: Topics.projectionRequests,
    summary:
      'gateway sends webhook subscription requests (/v1/webhooks) and waits up to GATEWAY_QUERY_TIMEOUT_MS; no ' +
      'reply in time is a 504 (a subscription may then exist: list it, rotate its secret).',
    reply: [QueryReplyV1],
  },
  {
    service: 'projection',
    action: 'receive',
    channel: Topics.projectionRequests,
    summary:
      'projection keeps webhook subscriptions and their delivery log in PostgreSQL (schema webhooks) and answers ' +
      'each request, scoped to the tenant-id header.',
    reply: [QueryReplyV1],
    groupId: { const: 'projection.requests' },
  },
  {
    service: 'projection',
    action: 'receive',
    channel: Topics.projectionEvents,
    summary:
      "projection's webhook fan-out records a delivery per matching subscription (PostgreSQL first, then BullMQ) " +
      'before it commits the offset.',
    groupId: { const: 'projection.webhooks' },
  },
  {
    service: 'gateway',
    action: 'receive',
    channel: REPLY_CHANNEL,
    summary:
      "gateway reads its own instance's reply topic and matches replies to waiting requests by correlation id; a " +
      'late reply is dropped.',
    groupId: { pattern: '^meridian\\.gateway\\.replies\\.[A-Za-z0-9._-]+\\.group$' },
  },
  {
    service: 'identity',
    action: 'receive',
    channel: Topics.identityCommands,
    summary: 'identity registers tenants and replies accepted or rejected (TENANT.ALREADY_REGISTERED).',
    reply: [CommandReplyV1],
    groupId: { const: 'identity.commands' },
  },
  {
    service: 'identity',
    action: 'send',
    channel: Topics.identityEvents,
    summary: "identity's outbox relay publishes tenant events.",
  },
  {
    service: 'gateway',
    action: 'receive',
    channel: Topics.identityEvents,
    summary:
      'gateway reads every tenant event from the beginning at each start (own group per instance, offsets never ' +
      'committed) and reports ready once it caught up with the end offsets seen at start.',
    groupId: { pattern: '^gateway\\.tenants\\.[A-Za-z0-9._-]+$' },
  },
];

/** Who parks poison records in which dead-letter topic (the consumers above). */
const deadLetterSenders: readonly { service: string; topic: string }[] = [
  { service: 'workflow', topic: Topics.workflowCommands },
  { service: 'projection', topic: Topics.workflowEvents },
  { service: 'projection', topic: Topics.telemetryPositions },
  { service: 'geo-query', topic: Topics.geoQueryRequests },
  { service: 'projection', topic: Topics.projectionRequests },
  { service: 'projection', topic: Topics.projectionEvents },
  { service: 'identity', topic: Topics.identityCommands },
  { service: 'gateway', topic: Topics.identityEvents },
];

const channelRef = (id: string): Json => ({ $ref: `#/channels/${id}` });
const channelMessageRef = (channel: string, message: string): Json => ({
  $ref: `#/channels/${channel}/messages/${message}`,
});

const description = [
  'The Kafka contract of Meridian: every topic, every message type, who sends and who receives it.',
  '**Messages.** Every record is a CloudEvents 1.0 event in Kafka binary content mode: the attributes travel as ' +
    '`ce_*` headers, the data as UTF-8 JSON in the record value, validated against the versioned schema of its ' +
    '`ce_type` (`additionalProperties: false`: unknown fields are refused). Beside the CloudEvents headers every ' +
    'record carries `correlation-id`, and where known `causation-id`, `tenant-id`, `traceparent` and (on requests) ' +
    '`reply-to`. The key orders what must stay in order: the aggregate id for commands and events, the asset id for ' +
    'telemetry.',
  '**Versioning.** A message type names its version (`….v1`). A change that could break a consumer (a removed or ' +
    'renamed field, a narrower type, a new required field) is a new type (`….v2`) published beside the old one for ' +
    'as long as consumers need it, never an edit of a published schema. Consumers skip event types they do not know, ' +
    'so adding a type is not breaking.',
  '**Delivery.** At least once. Producers are idempotent with `acks=all`; a consumer commits its offset only after ' +
    'its handler succeeded, and integration events are published by an outbox relay that may republish a batch after ' +
    'a crash. Consumers therefore deduplicate: by `ce_id` (integration events reuse the stored event id, so a ' +
    'republished event has the same id), or by a natural key or version stored with the effect (read models keep the ' +
    'aggregate stream version; telemetry is idempotent on asset id and `ts`, since each accepted fix gets a fresh ' +
    '`ce_id`).',
  "**Requests and replies.** Commands and queries carry `reply-to` naming the requesting instance's own topic " +
    "`meridian.<service>.replies.<instance>`; the reply carries the request's `correlation-id` and its `reply-key`, " +
    'by which the requester matches it. A requester that times out says so (HTTP 202 pending for commands, 504 for ' +
    'queries) and drops a late reply.',
  '**Dead letters.** A record that can never be processed (not a CloudEvent, no `correlation-id`, or, on event and ' +
    'telemetry topics, data failing its schema: `CONTRACT.VIOLATION`) is copied to `<topic>.dlq` with headers ' +
    `\`${h.error}\`, \`${h.errorCode}\`, \`${h.originalTopic}\`, \`${h.originalPartition}\` and ` +
    `\`${h.originalOffset}\`, and consumption goes on. ` +
    'On command and query topics a request whose data fails its schema is answered with a rejection ' +
    '(`CONTRACT.VIOLATION`) instead. A batch the database refuses is split until the bad records stand alone and ' +
    'are dead-lettered. Infrastructure failures (database, broker, network) are retried with exponential backoff ' +
    'until they pass, never dead-lettered; an unexpected programming error is retried a bounded number of times, ' +
    'then dead-lettered. Dead-letter topics keep records for 30 days; `npm run dlq -- list|replay <topic>` lists ' +
    'them or sends them back to their topic without the error headers.',
  'Generated from `libs/contracts` by `npm run docs:contracts`; do not edit by hand.',
].join('\n\n');

export function buildAsyncApiDocument(): Json {
  const byChannel = new Map<string, MessageContract[]>();
  const channelIdOf = (topic: string): string => (topic === REPLY_ADDRESS ? REPLY_CHANNEL : topic);
  for (const { contract, topic } of catalogue) {
    const id = channelIdOf(topic);
    byChannel.set(id, [...(byChannel.get(id) ?? []), contract]);
  }
  const known = new Set([...topicDefinitions.map((t) => t.name), REPLY_CHANNEL]);
  for (const id of byChannel.keys()) {
    if (!known.has(id)) throw new Error(`catalogue names topic ${id}, which topicDefinitions does not declare`);
  }

  const channelMessages = (id: string): Json =>
    Object.fromEntries(
      (byChannel.get(id) ?? []).map((c) => [messageId(c), { $ref: `#/components/messages/${messageId(c)}` }]),
    );

  const channels: Json = {};
  for (const t of topicDefinitions) {
    channels[t.name] = {
      address: t.name,
      title: t.name,
      description: channelDescriptions[t.name] ?? '',
      messages: channelMessages(t.name),
      bindings: kafkaTopicBinding(t),
    };
  }
  channels[REPLY_CHANNEL] = {
    address: REPLY_ADDRESS,
    title: 'meridian.<service>.replies.<instance>',
    description:
      'Replies to one requesting process. The requester creates its topic at start (1 partition, kept 1 hour) and ' +
      'reads it from the beginning; everything on it is for that process.',
    parameters: {
      service: { description: 'The requesting service.', examples: ['gateway'] },
      instance: {
        description:
          "The requester's INSTANCE_ID (default: its host name) and a per-process tag (start time and random " +
          'suffix): every process has its own reply topic, deletes it on stop, and the gateway prunes those of ' +
          'processes that died (no group members, nothing newer than an hour).',
        examples: ['gateway-7d9f-1.mim3k2x0-9f3a1c'],
      },
    },
    messages: channelMessages(REPLY_CHANNEL),
    bindings: kafkaTopicBinding(replyTopicDefinition(REPLY_ADDRESS)),
  };
  for (const t of dlqDefinitions) {
    channels[t.name] = {
      address: t.name,
      title: t.name,
      description: `Dead letters of ${t.name.replace(/\.dlq$/, '')}.`,
      messages: { [DEAD_LETTER]: { $ref: `#/components/messages/${DEAD_LETTER}` } },
      bindings: kafkaTopicBinding(t),
    };
  }

  const operations: Json = {};
  for (const op of operationSpecs) {
    const inChannel = (byChannel.get(op.channel) ?? []).map(messageId);
    const messages = op.messages ?? inChannel;
    const stray = messages.filter((m) => !inChannel.includes(m));
    if (stray.length)
      throw new Error(`operation on ${op.channel} names messages outside the channel: ${stray.join(', ')}`);
    const replies = (op.reply ?? []).map(messageId);
    const replyStray = replies.filter((m) => !(byChannel.get(REPLY_CHANNEL) ?? []).map(messageId).includes(m));
    if (replyStray.length) throw new Error(`reply messages not on the reply channel: ${replyStray.join(', ')}`);
    const channelTitle = (channels[op.channel] as Json)['title'] as string;
    operations[`${op.service}.${op.action}.${op.channel}`] = {
      action: op.action,
      channel: channelRef(op.channel),
      title: `${op.service} ${op.action === 'send' ? 'sends to' : 'receives from'} ${channelTitle}`,
      summary: op.summary,
      tags: [{ name: `service:${op.service}` }],
      messages: messages.map((m) => channelMessageRef(op.channel, m)),
      ...(op.reply
        ? {
            reply: {
              address: { description: "The request's reply-to header", location: `$message.header#/${h.replyTo}` },
              channel: channelRef(REPLY_CHANNEL),
              messages: replies.map((m) => channelMessageRef(REPLY_CHANNEL, m)),
            },
          }
        : {}),
      ...(op.groupId
        ? { bindings: { kafka: { groupId: { type: 'string', ...op.groupId }, bindingVersion: KAFKA_BINDING } } }
        : {}),
    };
  }
  for (const { service, topic } of deadLetterSenders) {
    const dlq = dlqTopic(topic);
    if (!channels[dlq]) throw new Error(`no dead-letter topic declared for ${topic}`);
    operations[`${service}.send.${dlq}`] = {
      action: 'send',
      channel: channelRef(dlq),
      title: `${service} sends to ${dlq}`,
      summary: `${service} parks records of ${topic} it cannot process.`,
      tags: [{ name: `service:${service}` }],
      messages: [channelMessageRef(dlq, DEAD_LETTER)],
    };
  }

  const messages: Json = { [DEAD_LETTER]: deadLetterMessage };
  for (const { contract } of [...catalogue].sort((a, b) => a.contract.type.localeCompare(b.contract.type))) {
    messages[messageId(contract)] = messageOf(contract);
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Meridian events',
      version,
      description,
      license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: '127.0.0.1:19092',
        protocol: 'kafka',
        protocolVersion: '4.1.0',
        description: 'The development broker of `npm start` (KAFKA_BROKERS); tests run their own on 127.0.0.1:29092.',
      },
    },
    channels,
    operations,
    components: {
      schemas: { CloudEventHeaders: cloudEventHeaders },
      messages,
    },
  };
}

const errorsIntro = `# Error codes

Every error the gateway returns is \`application/problem+json\` (RFC 9457) with a stable \`code\`:

\`\`\`json
{
  "type": "https://docs.meridian.dev/problems/asset-not-found",
  "title": "asset: not found",
  "status": 404,
  "code": "ASSET.NOT_FOUND",
  "detail": "asset 0f8fad5b-d9cb-469f-a165-70867728950e not found",
  "instance": "/v1/assets/0f8fad5b-d9cb-469f-a165-70867728950e"
}
\`\`\`

A validation error also carries \`errors: [{ "path", "message" }]\`, one entry per problem found.
Once published, a code keeps its meaning; clients should branch on \`code\`, not on \`title\` or \`detail\`.

Each bounded context declares its codes in its contracts lib (\`libs/contracts/<context>/src/*.errors.ts\`,
with \`defineErrors\`), each beside its HTTP status. The gateway's problem filter, the OpenAPI document and
this page all read that one declaration. Codes travel between services too: a service rejects a command or
query with a code in its reply, and the gateway answers with the status declared for it (a code no
contracts lib declares becomes **422**). "Per fix" means the code appears in the \`rejected\` list of a
\`202\` telemetry response (\`{ "index", "code", "detail" }\`): the good fixes of the same request are still
accepted.

Dead letters whose error had no code carry \`meridian-error-code: UNKNOWN\`;
\`npm run dlq -- list <topic>\` shows what was parked and why.

Generated from the contracts by \`npm run docs:contracts\`; do not edit by hand.

| code | HTTP status | meaning |
|---|---|---|
`;

/** docs/errors.md: every declared code with its status, from the contracts libs. */
export function buildErrorsPage(): string {
  contractLibs();
  const rows = errorDefinitions().map(
    (d) => `| \`${d.code}\` | ${d.statusNote ?? String(d.status)} | ${d.description.replace(/\|/g, '\\|')} |`,
  );
  return `${errorsIntro}${rows.join('\n')}\n`;
}

export interface GeneratedDocument {
  readonly path: string;
  readonly content: string;
}

/** Both documents, rendered exactly as they are committed. */
export function generateDocs(): readonly GeneratedDocument[] {
  return [
    { path: OPENAPI_PATH, content: render(buildOpenApiDocument()) },
    { path: ASYNCAPI_PATH, content: render(buildAsyncApiDocument()) },
    { path: ERRORS_PATH, content: buildErrorsPage() },
  ];
}

if (require.main === module) {
  for (const doc of generateDocs()) {
    const file = join(ROOT, doc.path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, doc.content);
    process.stdout.write(`[docs] wrote ${relative(ROOT, file)} (${Buffer.byteLength(doc.content)} bytes)\n`);
  }
}
