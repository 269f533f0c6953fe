/**
 * Traces (issue 11): the real services, started with an OTLP endpoint, export their spans to an
 * OTLP/HTTP receiver hosted here (`http/json`, so the bodies are readable JSON). One command through
 * the gateway's HTTP API must come out as one trace: the gateway's HTTP server span at the root,
 * the workflow's consumer span below it (through the command's `traceparent`), and the
 * projection's consumer span below that (through the event's stored `traceparent` and the outbox).
 * The trace is printed as a tree on stdout.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dlqDefinitions, topicDefinitions, Topics } from '@meridian/contracts';
import { MessageBus } from '@meridian/shared/messaging';
import { TokenSource } from '@meridian/shared/testing';
import { silentLog } from '@meridian/shared/util';
import { ROOT, type ServiceName, type Stack, startStack } from '../tools/stack';
import { onDatabase, recreatePostgisDatabase, testDatabaseUrl, testKafkaBrokers, testRedisUrl } from './test-env';

/** Ports of their own (not the e2e ones), so this can run beside an e2e system. */
const PORTS: Record<ServiceName, number> = {
  gateway: 28080,
  identity: 28081,
  workflow: 28082,
  projection: 28083,
  'geo-query': 28084,
};
const OIDC_PORT = 28086;
/** A lone workflow started after the stack stopped (the flush test). */
const FLUSH_PORT = 28085;
const api = `http://127.0.0.1:${PORTS.gateway}`;
const issuer = `http://127.0.0.1:${OIDC_PORT}`;
const TENANT = 'tracing';
const ADMIN_SECRET = 'tracing-tenant-admin-secret';
const databaseUrl = process.env.TRACING_DATABASE_URL ?? onDatabase(testDatabaseUrl(), 'meridian_tracing');

/** OTLP/JSON (opentelemetry-proto's JSON mapping): ids in hex, kinds as numbers. */
interface OtlpValue {
  readonly stringValue?: string;
  readonly intValue?: string | number;
  readonly boolValue?: boolean;
  readonly doubleValue?: number;
}
interface OtlpAttribute {
  readonly key: string;
  readonly value: OtlpValue;
}
interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly startTimeUnixNano: string | number;
  readonly attributes?: readonly OtlpAttribute[];
  readonly links?: readonly { readonly traceId: string; readonly spanId: string }[];
}
interface OtlpExport {
  readonly resourceSpans?: readonly {
    readonly resource?: { readonly attributes?: readonly OtlpAttribute[] };
    readonly scopeSpans?: readonly { readonly spans?: readonly OtlpSpan[] }[];
  }[];
}

const SERVER = 2;
const CONSUMER = 5;

interface ReceivedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly kind: number;
  readonly start: bigint;
  readonly attributes: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly links: readonly { readonly traceId: string; readonly spanId: string }[];
}

const valueOf = (v: OtlpValue): string | number | boolean | undefined =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.boolValue ?? v.doubleValue;

const attributesOf = (list: readonly OtlpAttribute[] = []) =>
  Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

/** An OTLP/HTTP trace receiver: collects every span posted to /v1/traces. */
class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        this.collect(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }

  private collect(body: OtlpExport): void {
    for (const rs of body.resourceSpans ?? []) {
      const service = String(attributesOf(rs.resource?.attributes)['service.name']);
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          this.spans.push({
            service,
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId || undefined,
            name: s.name,
            kind: s.kind,
            start: BigInt(s.startTimeUnixNano),
            attributes: attributesOf(s.attributes),
            links: s.links ?? [],
          });
        }
      }
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The span's ancestors, nearest first, as far as the trace holds them. */
function ancestors(span: ReceivedSpan, byId: ReadonlyMap<string, ReceivedSpan>): ReceivedSpan[] {
  const chain: ReceivedSpan[] = [];
  for (let p = span.parentSpanId && byId.get(span.parentSpanId); p; p = p.parentSpanId && byId.get(p.parentSpanId)) {
    chain.push(p);
  }
  return chain;
}

function printTree(trace: readonly ReceivedSpan[]): string {
  const children = new Map<string | undefined, ReceivedSpan[]>();
  const ids = new Set(trace.map((s) => s.spanId));
  for (const s of trace) {
    const parent = s.parentSpanId && ids.has(s.parentSpanId) ? s.parentSpanId : undefined;
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number): void => {
    const kids = [...(children.get(parent) ?? [])].sort((a, b) => (a.start < b.start ? -1 : 1));
    for (const s of kids) {
      lines.push(`${'  '.repeat(depth)}${s.service}: ${s.name}`);
      walk(s.spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}

const isPg = (s: ReceivedSpan): boolean =>
  s.attributes['db.system'] === 'postgresql' || s.attributes['db.system.name'] === 'postgresql';

describe('OpenTelemetry traces across gateway → workflow → projection', () => {
  const receiver = new OtlpReceiver();
  let endpoint = '';
  let stack: Stack | undefined;
  let assetId = '';
  const admin = new TokenSource({ issuer, clientId: `${TENANT}-admin`, clientSecret: ADMIN_SECRET });

  beforeAll(async () => {
    endpoint = await receiver.start();
    await recreatePostgisDatabase(databaseUrl);
    const brokers = testKafkaBrokers();
    const bus = new MessageBus({ brokers, clientId: 'tracing-setup', log: silentLog });
    await bus.ensureTopics([...topicDefinitions, ...dlqDefinitions]);
    await bus.close();
    stack = await startStack({
      env: {
        KAFKA_BROKERS: brokers.join(','),
        DATABASE_URL: databaseUrl,
        REDIS_URL: testRedisUrl(),
        INSTANCE_ID: `tracing-${randomUUID().slice(0, 8)}`,
        IDENTITY_BOOTSTRAP_TENANTS: TENANT,
        IDENTITY_OIDC_PORT: String(OIDC_PORT),
        OIDC_ISSUER: issuer,
        IDENTITY_BOOTSTRAP_ADMIN_SECRET: ADMIN_SECRET,
        IDENTITY_PLATFORM_CLIENT_SECRET: 'tracing-platform-secret',
        IDENTITY_CONSOLE_REDIRECT_URIS: `${api}/docs/oauth2-redirect.html`,
        EXPORTS_DIR: join(ROOT, '.local', 'tracing-exports'),
        LOG_LEVEL: 'info',
        // Tracing on, exporting OTLP/HTTP JSON here, in batches sent every 200 ms.
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '200',
      },
      ports: PORTS,
      logDir: join(ROOT, '.local', 'logs', 'tracing'),
      progress: (line) => process.stderr.write(`[tracing] ${line.trim()}\n`),
    });
    // The tenant's administrator reaches the gateway through Kafka (keys, principals): wait for it.
    const deadline = Date.now() + 90_000;
    for (;;) {
      const headers = await admin.headers().catch(() => null);
      const status = headers ? (await fetch(`${api}/v1/assets?limit=1`, { headers })).status : 0;
      if (status === 200) break;
      if (Date.now() > deadline) throw new Error(`the gateway never admitted the tenant (last HTTP ${status})`);
      await sleep(250);
    }
  }, 400_000);

  afterAll(async () => {
    await stack?.stop();
    await receiver.stop();
  }, 60_000);

  it('shows one command as one trace: HTTP → workflow consumer → projection consumer, with PostgreSQL', async () => {
    const res = await fetch(`${api}/v1/assets`, {
      method: 'POST',
      headers: { ...(await admin.headers()), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Traced drone', kind: 'drone' }),
    });
    expect(res.status).toBe(201);
    assetId = ((await res.json()) as { id: string }).id;

    const isCommandRequest = (s: ReceivedSpan): boolean =>
      s.service === 'meridian-gateway' &&
      s.kind === SERVER &&
      (s.attributes['http.method'] ?? s.attributes['http.request.method']) === 'POST' &&
      String(s.attributes['http.target'] ?? s.attributes['url.path']).startsWith('/v1/assets');
    const projectionConsumer = (trace: readonly ReceivedSpan[]) =>
      trace.find((s) => s.service === 'meridian-projection' && s.kind === CONSUMER);

    // Spans arrive in batches, children before their parents: wait until the trace is whole.
    let trace: ReceivedSpan[] = [];
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(250)) {
      const root = receiver.spans.find(isCommandRequest);
      trace = root ? receiver.spans.filter((s) => s.traceId === root.traceId) : [];
      const ids = new Set(trace.map((s) => s.spanId));
      const whole = trace.every((s) => s.parentSpanId === undefined || ids.has(s.parentSpanId));
      if (root && whole && projectionConsumer(trace)) break;
    }
    process.stdout.write(`\nOne command (POST /v1/assets) as one trace:\n${printTree(trace)}\n\n`);

    const services = new Set(trace.map((s) => s.service));
    expect([...services]).toEqual(
      expect.arrayContaining(['meridian-gateway', 'meridian-workflow', 'meridian-projection']),
    );
    // One tree: a single root, the gateway's HTTP server span, and every other span's parent in the trace.
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const roots = trace.filter((s) => s.parentSpanId === undefined || !byId.has(s.parentSpanId));
    expect(roots).toHaveLength(1);
    expect(isCommandRequest(roots[0])).toBe(true);
    // Named by its route (bootstrap's onRequest hook), as the HTTP semantic conventions ask.
    expect(roots[0]?.name).toBe('POST /v1/assets');
    expect(roots[0]?.attributes['http.route']).toBe('/v1/assets');

    // projection consumer → … → workflow consumer (of the command) → … → gateway HTTP server span.
    const projection = projectionConsumer(trace) as ReceivedSpan;
    expect(projection.name).toBe(`${Topics.workflowEvents} process`);
    const up = ancestors(projection, byId);
    const workflow = up.find((s) => s.service === 'meridian-workflow' && s.kind === CONSUMER);
    expect(workflow?.name).toBe(`${Topics.workflowCommands} process`);
    expect(workflow?.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': Topics.workflowCommands,
      'messaging.operation.type': 'process',
    });
    expect(up[up.length - 1]).toBe(roots[0]);
    expect(ancestors(workflow as ReceivedSpan, byId).some((s) => s.service === 'meridian-gateway')).toBe(true);

    // The command's events are appended (and its stream loaded) in PostgreSQL under its consumer span.
    const workflowPg = trace.filter((s) => isPg(s) && ancestors(s, byId).includes(workflow as ReceivedSpan));
    expect(workflowPg.length).toBeGreaterThan(0);
    expect(trace.some((s) => s.name === 'event-store append' && s.service === 'meridian-workflow')).toBe(true);
  });

  it("links the projection's telemetry batch span to the ingest request that sent the fix", async () => {
    // Fixes are admitted once the gateway's asset directory (geo-query) knows the asset.
    const headers = { ...(await admin.headers()), 'content-type': 'application/json' };
    const fix = { assetId, ts: new Date().toISOString(), lon: 8.54, lat: 47.37 };
    let accepted = 0;
    for (const deadline = Date.now() + 60_000; accepted === 0 && Date.now() < deadline; await sleep(250)) {
      const res = await fetch(`${api}/v1/telemetry`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ fixes: [fix] }),
      });
      accepted = res.status === 202 ? ((await res.json()) as { accepted: number }).accepted : 0;
    }
    expect(accepted).toBe(1);
    const ingest = (): ReceivedSpan[] =>
      receiver.spans.filter(
        (s) =>
          s.service === 'meridian-gateway' &&
          s.kind === SERVER &&
          String(s.attributes['http.target'] ?? s.attributes['url.path']).startsWith('/v1/telemetry'),
      );
    const linkedBatch = () =>
      receiver.spans.find(
        (s) =>
          s.service === 'meridian-projection' &&
          s.name === `${Topics.telemetryPositions} process` &&
          s.links.some((l) => ingest().some((i) => i.traceId === l.traceId)),
      );
    for (const deadline = Date.now() + 30_000; !linkedBatch() && Date.now() < deadline;) await sleep(250);
    const batch = linkedBatch();
    expect(batch?.kind).toBe(CONSUMER);
    expect(batch?.parentSpanId).toBeUndefined();
    expect(batch?.attributes['messaging.batch.message_count']).toBeGreaterThanOrEqual(1);
  });

  it('stops every service cleanly with tracing on', async () => {
    const running = stack as Stack;
    stack = undefined;
    await running.stop();
    expect(running.services.map((s) => [s.name, s.process.exitCode])).toEqual(running.services.map((s) => [s.name, 0]));
  }, 90_000);

  it('flushes the spans still held in the batch at SIGTERM, under OTEL_SERVICE_NAME', async () => {
    // Batches are sent every 10 minutes here: whatever arrives, arrives because the exit flushed it.
    const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/workflow/src/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        KAFKA_BROKERS: testKafkaBrokers().join(','),
        DATABASE_URL: databaseUrl,
        REDIS_URL: testRedisUrl(),
        INSTANCE_ID: `tracing-flush-${randomUUID().slice(0, 8)}`,
        WORKFLOW_HTTP_PORT: String(FLUSH_PORT),
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '600000',
        OTEL_SERVICE_NAME: 'meridian-workflow-flush',
      },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const fromIt = () => receiver.spans.filter((s) => s.service === 'meridian-workflow-flush');
    try {
      for (const deadline = Date.now() + 120_000; ; await sleep(250)) {
        const ready = await fetch(`http://127.0.0.1:${FLUSH_PORT}/health/ready`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (ready) break;
        if (Date.now() > deadline || child.exitCode !== null) throw new Error('the workflow never became ready');
      }
      expect(fromIt()).toEqual([]);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    // Nest's start-up span (nestjs-core instrumentation) was held in the batch until the exit sent it.
    expect(fromIt().map((s) => s.name)).toContain('Create Nest App');
  }, 180_000);
});
