import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import type { KafkaSecurity } from '@meridian/shared/messaging';

/**
 * The development SECRETS_KEY (base64 of the 32 ASCII bytes `meridian-dev-secrets-key-32bytes`):
 * public, so anything sealed with it is as good as clear text. `secretsKeyOf` refuses it in production.
 */
export const DEV_SECRETS_KEY = 'bWVyaWRpYW4tZGV2LXNlY3JldHMta2V5LTMyYnl0ZXM=';

/** Settings every service reads; each service extends this with its own. */
export const baseConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:19092')
    .transform((s) => s.split(',').map((b) => b.trim()))
    .pipe(z.array(z.string().regex(/^[\w.-]+:\d+$/, 'host:port')).min(1)),
  DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/meridian'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  // The server ends a session left idle inside a transaction: it would hold locks and the $all horizon. 0: never.
  DATABASE_IDLE_IN_TX_TIMEOUT_MS: z.coerce.number().int().min(0).default(60_000),
  // Readiness fails once the oldest event the outbox relay has not published is older than this.
  RELAY_MAX_LAG_MS: z.coerce.number().int().min(1).default(30_000),
  REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
  INSTANCE_ID: z
    .string()
    .regex(/^[a-zA-Z0-9._-]+$/)
    // Names the instance in Kafka client ids and reply topics. Reply topics are unique per process
    // anyway (`<instance>.<start time>-<random>`), so processes on one host may share it.
    .default(hostname().replace(/[^a-zA-Z0-9._-]/g, '-')),
  /** Bytes a service may queue for Kafka; past it a send is refused at once (HTTP 503), never queued. */
  KAFKA_MAX_QUEUED_BYTES: z.coerce
    .number()
    .int()
    .min(1024 * 1024)
    .default(32 * 1024 * 1024),
  /** A send not acknowledged by the broker within this is failed (HTTP 503); the caller may retry. */
  KAFKA_SEND_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** TLS to the brokers (a managed Kafka); with KAFKA_SSL_CA_FILE, only that CA bundle (PEM) is trusted. */
  KAFKA_SSL: z
    .enum(['true', 'false'])
    .default('false')
    .transform((s) => s === 'true'),
  KAFKA_SSL_CA_FILE: z.string().min(1).optional(),
  /** SASL authentication; a mechanism needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD. */
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  /** Replication factor of the topics a service or `meridian topics` creates (3 on a production cluster). */
  KAFKA_TOPIC_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(7).default(1),
  /**
   * H3 resolutions (0–15) whose fix counts per cell and hour projection keeps and geo-query's
   * heatmap reads: one setting for both, so they agree. Finer heatmaps are counted from the fixes.
   */
  H3_RESOLUTIONS: z
    .string()
    .default('5,7')
    .transform((s) => (s.trim() === '' ? [] : s.split(',').map((r) => Number(r.trim()))))
    .pipe(
      z
        .array(z.number().int().min(0).max(15))
        .max(4)
        .refine((rs) => new Set(rs).size === rs.length, 'each resolution once')
        // Each count row carries its resolution-3 parent, the bbox index's key.
        .refine((rs) => rs.length === 0 || Math.max(...rs) >= 3, 'the finest resolution must be 3 or more'),
    ),
  HOST: z.string().default('127.0.0.1'),
  /**
   * Port of a separate listener for Prometheus' `/metrics` (on HOST); the service's own port then
   * answers 404 there. Unset: `/metrics` is served on the service's HTTP port.
   */
  METRICS_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
  /**
   * Key that seals secrets at rest and in commands (passwords, password hashes, client secrets;
   * `@meridian/shared/util` sealSecret/openSecret): base64 of 32 random bytes, e.g.
   * `openssl rand -base64 32`. The default is a published development key, refused in production.
   */
  SECRETS_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'base64 of 32 bytes (44 characters ending in =)')
    .refine((s) => Buffer.from(s, 'base64').length === 32, 'must decode to 32 bytes')
    .default(DEV_SECRETS_KEY),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
});

export type BaseConfig = z.infer<typeof baseConfigSchema>;

export class ConfigError extends Error {}

/** The 32-byte secrets key of a validated config; a ConfigError for the development key in production. */
export function secretsKeyOf(config: Pick<BaseConfig, 'SECRETS_KEY' | 'NODE_ENV'>): Buffer {
  if (config.NODE_ENV === 'production' && config.SECRETS_KEY === DEV_SECRETS_KEY) {
    throw new ConfigError('invalid configuration:\n  SECRETS_KEY: the development key must not be used in production');
  }
  return Buffer.from(config.SECRETS_KEY, 'base64');
}

/**
 * The TLS and SASL settings of a validated config for the Kafka client; a ConfigError when SASL is
 * half-configured or the CA file cannot be read (named, never its content).
 */
export function kafkaSecurityOf(
  config: Pick<
    BaseConfig,
    'KAFKA_SSL' | 'KAFKA_SSL_CA_FILE' | 'KAFKA_SASL_MECHANISM' | 'KAFKA_SASL_USERNAME' | 'KAFKA_SASL_PASSWORD'
  > &
    Partial<Pick<BaseConfig, 'NODE_ENV'>>,
): KafkaSecurity {
  const problems: string[] = [];
  let ssl: KafkaSecurity['ssl'] = config.KAFKA_SSL;
  if (config.KAFKA_SSL_CA_FILE) {
    if (!config.KAFKA_SSL) problems.push('KAFKA_SSL_CA_FILE: needs KAFKA_SSL=true');
    try {
      ssl = { ca: [readFileSync(config.KAFKA_SSL_CA_FILE, 'utf8')] };
    } catch (err) {
      problems.push(
        `KAFKA_SSL_CA_FILE: cannot read ${config.KAFKA_SSL_CA_FILE} (${(err as NodeJS.ErrnoException).code})`,
      );
    }
  }
  let sasl: KafkaSecurity['sasl'];
  const { KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = config;
  if (mechanism) {
    if (!username || !password)
      problems.push('KAFKA_SASL_MECHANISM: needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD');
    else sasl = { mechanism, username, password };
    // PLAIN sends the password as it is: only inside TLS in production.
    if (mechanism === 'plain' && !config.KAFKA_SSL && config.NODE_ENV === 'production') {
      problems.push('KAFKA_SASL_MECHANISM: plain sends the password in clear; needs KAFKA_SSL=true in production');
    }
  } else if (username || password) {
    problems.push('KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD: need KAFKA_SASL_MECHANISM');
  }
  if (problems.length) throw new ConfigError(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return { ssl, ...(sasl ? { sasl } : {}) };
}

/** Validates the environment once at start; a missing or bad setting stops the service with every problem listed. */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data as z.infer<S>;
}
