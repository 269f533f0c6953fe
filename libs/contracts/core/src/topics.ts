/** Every Kafka topic Meridian uses, declared once; `tools/create-topics.ts` provisions them. */
export interface TopicDefinition {
  readonly name: string;
  readonly partitions: number;
  /** Milliseconds; -1 keeps forever. */
  readonly retentionMs: number;
  readonly cleanupPolicy: 'delete' | 'compact';
  /** The largest record the topic takes (`max.message.bytes`); the broker's default (~1 MiB) when absent. */
  readonly maxMessageBytes?: number;
}

/** Requests and replies may be large (a track, a heatmap, a tile, an OGC page): DESIGN §2 allows 16 MiB. */
export const REQUEST_REPLY_MAX_BYTES = 16 * 1024 * 1024;

const DAY = 24 * 60 * 60 * 1000;

export const Topics = {
  workflowCommands: 'meridian.workflow.commands',
  workflowEvents: 'meridian.workflow.events',
  identityCommands: 'meridian.identity.commands',
  identityEvents: 'meridian.identity.events',
  identityKeys: 'meridian.identity.keys',
  identityPrincipals: 'meridian.identity.principals',
  projectionEvents: 'meridian.projection.events',
  projectionRequests: 'meridian.projection.requests',
  geoQueryRequests: 'meridian.geo-query.requests',
  telemetryPositions: 'meridian.telemetry.positions',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

/** Per-instance reply topic of a requesting service (`meridian.<service>.replies.<instance>`). */
export const replyTopic = (service: string, instance: string): string => `meridian.${service}.replies.${instance}`;

const REPLY_TOPIC = /^(meridian\.[^.]+\.replies)\./;

/**
 * A reply topic (or its consumer group, `<topic>.group`) by its template, `meridian.<service>.replies`:
 * one per service instead of one per process, for metric labels and span names. Other names as they are.
 */
export const replyTopicTemplate = (topicOrGroup: string): string => REPLY_TOPIC.exec(topicOrGroup)?.[1] ?? topicOrGroup;

export const dlqTopic = (topic: string): string => `${topic}.dlq`;

const stream = (name: string, partitions: number, retentionMs: number): TopicDefinition => ({
  name,
  partitions,
  retentionMs,
  cleanupPolicy: 'delete',
});

const compacted = (name: string): TopicDefinition => ({
  name,
  partitions: 1,
  retentionMs: -1,
  cleanupPolicy: 'compact',
});

/**
 * Event topics keep everything: they are the integration contract and read models are rebuilt
 * from the event store, not from Kafka, but late subscribers deserve the whole history.
 */
export const topicDefinitions: readonly TopicDefinition[] = [
  stream(Topics.workflowCommands, 6, 7 * DAY),
  stream(Topics.workflowEvents, 6, -1),
  stream(Topics.identityCommands, 3, 7 * DAY),
  stream(Topics.identityEvents, 3, -1),
  compacted(Topics.identityKeys),
  compacted(Topics.identityPrincipals),
  stream(Topics.projectionEvents, 6, 30 * DAY),
  stream(Topics.projectionRequests, 3, DAY),
  { ...stream(Topics.geoQueryRequests, 6, DAY), maxMessageBytes: REQUEST_REPLY_MAX_BYTES },
  stream(Topics.telemetryPositions, 12, 7 * DAY),
];

/** Dead-letter topics mirror every consumed topic and keep messages for a month. */
export const dlqDefinitions: readonly TopicDefinition[] = topicDefinitions
  .filter((t) => t.cleanupPolicy === 'delete')
  .map((t) => ({ ...stream(dlqTopic(t.name), 1, 30 * DAY), maxMessageBytes: t.maxMessageBytes }));

export const replyTopicDefinition = (name: string): TopicDefinition => ({
  ...stream(name, 1, 60 * 60 * 1000),
  maxMessageBytes: REQUEST_REPLY_MAX_BYTES,
});
