import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Global, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Consumer } from 'kafkajs';
import { Client } from 'pg';
import pino from 'pino';
import { type DataOf, fromWire, Topics } from '@meridian/contracts/core';
import { SigningKeyV1 } from '@meridian/contracts/identity';
import {
  IDENTITY_DIRECTORY,
  type IdentityDirectory,
  type LoginAccount,
  type ServiceClient,
} from '@meridian/identity/domain';
import { type MessageBus, toWireMessage } from '@meridian/shared/messaging';
import { baseConfigSchema, BUS, CoreModule, loadConfig } from '@meridian/shared/service-kit';
import { eventually, testBrokers, testDatabaseUrl } from '@meridian/shared/testing';
import { IdentityOidcModule } from '../identity-oidc.module';
import { oidcEnv } from '../oidc.config';

/**
 * Spec support: identity's OIDC module started the way apps/identity starts it (CoreModule with
 * the real pool, bus and Redis), over a small in-memory directory (the directory is not what these
 * specs test), on a free port, with a reader of the keys topic.
 */

export interface TestUser extends LoginAccount {
  readonly password: string;
}

/** The IdentityDirectory port over fixed users and service clients. */
export class MemoryDirectory implements IdentityDirectory {
  constructor(
    readonly users: TestUser[],
    readonly clients: ServiceClient[],
  ) {}

  async verifyPassword(tenantId: string, username: string, password: string): Promise<LoginAccount | null> {
    const user = this.users.find((u) => u.tenantId === tenantId && u.username === username);
    return user && user.password === password ? user : null;
  }

  async findAccount(tenantId: string, subject: string): Promise<LoginAccount | null> {
    return this.users.find((u) => u.tenantId === tenantId && u.subject === subject) ?? null;
  }

  async findServiceClient(clientId: string): Promise<ServiceClient | null> {
    return this.clients.find((c) => c.clientId === clientId) ?? null;
  }
}

export type SigningKeyData = DataOf<typeof SigningKeyV1>;

/** The latest state of each of this issuer's keys on `meridian.identity.keys`, read from the beginning. */
export class KeysTopicReader {
  readonly latest = new Map<string, SigningKeyData>();
  /** When each kid's states arrived here (ms since the epoch), in order. */
  readonly arrivals = new Map<string, number[]>();
  private consumer: Consumer | null = null;

  constructor(
    private readonly bus: MessageBus,
    private readonly issuer: string,
  ) {}

  async start(): Promise<void> {
    const consumer = this.bus.newConsumer(`test-keys-${randomBytes(6).toString('hex')}`);
    await consumer.connect();
    await consumer.subscribe({ topics: [Topics.identityKeys], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const envelope = fromWire(toWireMessage(message));
        if (envelope.type !== SigningKeyV1.type) return;
        const data = SigningKeyV1.schema.parse(envelope.data);
        if (data.issuer !== this.issuer) return;
        this.latest.set(data.jwk.kid, data);
        this.arrivals.set(data.jwk.kid, [...(this.arrivals.get(data.jwk.kid) ?? []), Date.now()]);
      },
    });
    this.consumer = consumer;
  }

  /** Waits until the topic shows `kid` in a state `accept` takes. */
  waitFor(kid: string, accept: (k: SigningKeyData) => boolean = () => true, timeoutMs = 20_000) {
    return eventually(
      () => {
        const key = this.latest.get(kid);
        if (!key || !accept(key)) throw new Error(`key ${kid} not on the topic in the expected state`);
        return key;
      },
      { timeoutMs },
    );
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    if (this.consumer) this.bus.forget(this.consumer);
  }
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

const testConfigSchema = baseConfigSchema.extend(oidcEnv);

export interface OidcHarness {
  readonly app: INestApplicationContext;
  readonly issuer: string;
  readonly redirectUri: string;
  readonly tenant: string;
  readonly user: TestUser;
  readonly service: ServiceClient;
  readonly directory: MemoryDirectory;
  readonly keys: KeysTopicReader;
  close(): Promise<void>;
}

/** Starts the module on a fresh key table; `env` overrides settings (e.g. the activation delay). */
export async function startOidc(env: Record<string, string> = {}): Promise<OidcHarness> {
  const run = randomBytes(3).toString('hex');
  const tenant = `oidc-${run}`;
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const redirectUri = 'http://127.0.0.1:9/callback';
  const user: TestUser = {
    tenantId: tenant,
    subject: `user-${run}`,
    username: 'dana',
    displayName: 'Dana Dispatcher',
    email: 'dana@example.test',
    password: `correct horse ${run}`,
  };
  const service: ServiceClient = {
    tenantId: tenant,
    clientId: `svc-${run}`,
    secret: `secret-${randomBytes(12).toString('hex')}`,
    name: 'Test integration',
    platformAdmin: false,
  };
  const directory = new MemoryDirectory([user], [service]);
  const config = loadConfig(testConfigSchema, {
    LOG_LEVEL: 'silent',
    DATABASE_URL: testDatabaseUrl(),
    KAFKA_BROKERS: testBrokers().join(','),
    ...(process.env['TEST_REDIS_URL'] ? { REDIS_URL: process.env['TEST_REDIS_URL'] } : {}),
    OIDC_ISSUER: issuer,
    IDENTITY_OIDC_PORT: String(port),
    IDENTITY_CONSOLE_REDIRECT_URIS: redirectUri,
    IDENTITY_KEY_ACTIVATION_DELAY_MS: '1000',
    ...env,
  });
  const logger = pino({ level: 'silent' });

  @Global()
  @Module({ providers: [{ provide: IDENTITY_DIRECTORY, useValue: directory }], exports: [IDENTITY_DIRECTORY] })
  class DirectoryFixtureModule {}

  @Module({
    imports: [
      CoreModule.forRoot({ service: 'identity', config, logger }),
      DirectoryFixtureModule,
      IdentityOidcModule.forRoot(config),
    ],
  })
  class TestIdentityModule {}

  await forgetKeys();
  const app = await NestFactory.createApplicationContext(TestIdentityModule, { logger: false });
  const keys = new KeysTopicReader(app.get<MessageBus>(BUS), issuer);
  await keys.start();
  // The first key signs after the activation delay; discovery answers from then on.
  await eventually(
    async () => {
      const res = await fetch(`${issuer}/.well-known/openid-configuration`);
      if (res.status !== 200) throw new Error(`discovery answered ${res.status}`);
    },
    { timeoutMs: 20_000, intervalMs: 100 },
  );
  return {
    app,
    issuer,
    redirectUri,
    tenant,
    user,
    service,
    directory,
    keys,
    close: async () => {
      await keys.stop();
      await app.close();
      await forgetKeys();
    },
  };
}

/** Each spec starts with no keys (the ring creates its first one as on a fresh install) and leaves none. */
async function forgetKeys(): Promise<void> {
  const db = new Client({ connectionString: testDatabaseUrl() });
  await db.connect();
  try {
    const { rows } = await db.query<{ t: string | null }>(`SELECT to_regclass('identity.signing_keys')::text AS t`);
    if (rows[0]?.t) await db.query('DELETE FROM identity.signing_keys');
  } finally {
    await db.end();
  }
}
