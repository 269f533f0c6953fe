import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import {
  dlqDefinitions,
  errorDefinition,
  errorDefinitions,
  REPLY_ADDRESS,
  topicDefinitions,
} from '@meridian/contracts/core';
import {
  ASYNCAPI_PATH,
  buildAsyncApiDocument,
  buildOpenApiDocument,
  generateDocs,
  catalogue,
  OPENAPI_PATH,
  ROOT,
} from '../tools/generate-docs';

type Json = Record<string, unknown>;

const STALE = 'is out of date with the code: run `npm run docs:contracts` and commit the result';

const committed = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const asyncapi = buildAsyncApiDocument();
const channels = asyncapi['channels'] as Record<string, Json>;
const operations = asyncapi['operations'] as Record<string, Json>;
const messages = (asyncapi['components'] as Json)['messages'] as Record<string, Json>;

/** Follows a local `#/a/b` reference inside the AsyncAPI document. */
const resolveRef = (ref: unknown): Json => {
  expect(typeof ref).toBe('string');
  return (ref as string)
    .replace(/^#\//, '')
    .split('/')
    .reduce<Json>((node, part) => {
      const next = node[part];
      if (next === undefined) throw new Error(`${String(ref)} does not resolve`);
      return next as Json;
    }, asyncapi);
};

describe('published contract documents (docs/)', () => {
  it.each(generateDocs().map((d) => [d.path, d.content] as const))(
    '%s is committed exactly as generated',
    (path, content) => {
      if (!existsSync(join(ROOT, path))) throw new Error(`${path} is missing: run \`npm run docs:contracts\``);
      const text = committed(path);
      if (text !== content) {
        // The structural comparison shows which part is stale; the textual one catches formatting.
        if (path.endsWith('.json')) expect(JSON.parse(text)).toEqual(JSON.parse(content));
        throw new Error(`${path} ${STALE}`);
      }
    },
  );

  it('are deterministic: two generations render the same bytes', () => {
    expect(generateDocs()).toEqual(generateDocs());
  });
});

describe('AsyncAPI document', () => {
  it('is AsyncAPI 3.0.0', () => {
    expect(asyncapi['asyncapi']).toBe('3.0.0');
    expect(JSON.parse(committed(ASYNCAPI_PATH))['asyncapi']).toBe('3.0.0');
  });

  const messagePerType =
    'has a message for every catalogue type, with its schema (JSON Schema draft-07) as payload and its type as name';
  it(messagePerType, () => {
    for (const { contract } of catalogue) {
      const message = messages[contract.type];
      expect(message).toBeDefined();
      expect(message['name']).toBe(contract.type);
      expect(message['title']).toBe(contract.type);
      expect(message['contentType']).toBe('application/json');
      const { $schema: _draft, ...payload } = z.toJSONSchema(contract.schema, { target: 'draft-7' });
      expect(message['payload']).toEqual(payload);
      expect((message['bindings'] as Json)['kafka']).toHaveProperty('key');
    }
  });

  it('puts every catalogue type on the channel of its topic', () => {
    for (const { contract, topic } of catalogue) {
      const channel = Object.values(channels).find((c) => c['address'] === topic);
      expect(channel).toBeDefined();
      const refs = Object.values(channel?.['messages'] as Record<string, Json>).map((m) => m['$ref']);
      expect(refs).toContain(`#/components/messages/${contract.type}`);
    }
  });

  it('has a channel for every declared topic, its dead-letter topic and the reply topics', () => {
    const addresses = Object.values(channels).map((c) => c['address']);
    for (const t of [...topicDefinitions, ...dlqDefinitions]) {
      expect(addresses).toContain(t.name);
      const channel = Object.values(channels).find((c) => c['address'] === t.name) as Json;
      expect((channel['bindings'] as Json)['kafka']).toMatchObject({
        partitions: t.partitions,
        topicConfiguration: { 'cleanup.policy': [t.cleanupPolicy], 'retention.ms': t.retentionMs },
      });
    }
    expect(addresses).toContain(REPLY_ADDRESS);
  });

  it('documents the CloudEvents binary-mode and tracing headers on every message', () => {
    const headers = (asyncapi['components'] as Json)['schemas'] as Record<string, Json>;
    const properties = Object.keys(headers['CloudEventHeaders']['properties'] as Json);
    for (const name of [
      'ce_id',
      'ce_type',
      'ce_source',
      'ce_time',
      'ce_specversion',
      'ce_dataschema',
      'content-type',
      'traceparent',
      'correlation-id',
      'causation-id',
      'tenant-id',
      'reply-to',
    ]) {
      expect(properties).toContain(name);
    }
    for (const { contract } of catalogue) {
      const [common, own] = (messages[contract.type]['headers'] as { allOf: Json[] }).allOf;
      expect(resolveRef(common['$ref'])).toBe(headers['CloudEventHeaders']);
      expect(own).toMatchObject({
        properties: { ce_type: { const: contract.type }, ce_dataschema: { const: contract.dataschema } },
      });
    }
  });

  it('resolves every reference of every operation, to messages of the referenced channel', () => {
    expect(Object.keys(operations).length).toBeGreaterThan(0);
    for (const [id, op] of Object.entries(operations)) {
      const channel = resolveRef((op['channel'] as Json)['$ref']);
      for (const m of op['messages'] as Json[]) {
        const ref = m['$ref'] as string;
        expect(`${id}: ${ref}`).toMatch(`: ${(op['channel'] as Json)['$ref'] as string}/messages/`);
        expect(resolveRef(ref)).toBeDefined();
      }
      const reply = op['reply'] as Json | undefined;
      if (reply) for (const m of reply['messages'] as Json[]) expect(resolveRef(m['$ref'])).toBeDefined();
      expect(channel['address']).toBeDefined();
    }
  });

  it('names who sends and who receives each flow of the slice', () => {
    const flows = Object.values(operations).map((op) => {
      const service = ((op['tags'] as Json[])[0]['name'] as string).replace('service:', '');
      return `${service} ${op['action'] as string} ${resolveRef((op['channel'] as Json)['$ref'])['address'] as string}`;
    });
    expect(flows).toEqual(
      expect.arrayContaining([
        'gateway send meridian.workflow.commands',
        'workflow receive meridian.workflow.commands',
        'workflow send meridian.workflow.events',
        'projection receive meridian.workflow.events',
        'gateway send meridian.telemetry.positions',
        'projection receive meridian.telemetry.positions',
        'gateway send meridian.geo-query.requests',
        'geo-query receive meridian.geo-query.requests',
        `gateway receive ${REPLY_ADDRESS}`,
        'identity send meridian.identity.events',
        'gateway receive meridian.identity.events',
      ]),
    );
  });
});

describe('OpenAPI document', () => {
  it('has the paths the feature libs register', () => {
    const paths = Object.keys(buildOpenApiDocument()['paths'] as Json);
    expect(paths.sort()).toEqual([
      '/internal/refusals',
      '/internal/timings',
      '/ogc',
      '/ogc/api',
      '/ogc/collections',
      '/ogc/collections/{collectionId}',
      '/ogc/collections/{collectionId}/items',
      '/ogc/collections/{collectionId}/items/{featureId}',
      '/ogc/conformance',
      '/v1/admin/signing-keys/rotate',
      '/v1/assets',
      '/v1/assets/nearest',
      '/v1/assets/{id}',
      '/v1/assets/{id}/track',
      '/v1/assets/{id}/visits',
      '/v1/audit',
      '/v1/exports',
      '/v1/exports/{id}',
      '/v1/exports/{id}/download',
      '/v1/heatmap',
      '/v1/missions',
      '/v1/missions/{id}',
      '/v1/missions/{id}/events/{event}',
      '/v1/missions/{id}/history',
      '/v1/service-accounts',
      '/v1/service-accounts/{clientId}',
      '/v1/service-accounts/{clientId}/membership',
      '/v1/stream',
      '/v1/telemetry',
      '/v1/tenants',
      '/v1/tiles/{layer}/{z}/{x}/{y}.mvt',
      '/v1/users',
      '/v1/users/{id}',
      '/v1/users/{id}/membership',
      '/v1/webhooks',
      '/v1/webhooks/{id}',
      '/v1/webhooks/{id}/deliveries',
      '/v1/webhooks/{id}/deliveries/{deliveryId}/replay',
      '/v1/webhooks/{id}/rotate-secret',
      '/v1/workflow-definitions',
      '/v1/zones',
      '/v1/zones/{id}',
      '/v1/zones/{id}/assets',
      '/v1/zones/{id}/visits',
    ]);
    expect(Object.keys(JSON.parse(committed(OPENAPI_PATH))['paths'] as Json).sort()).toEqual(paths);
  });
});

describe('error codes (docs/errors.md, OpenAPI)', () => {
  it('lists every declared code with its status', () => {
    const text = committed('docs/errors.md');
    const missing = errorDefinitions().filter(
      (d) => !text.includes(`| \`${d.code}\` | ${d.statusNote ?? String(d.status)} |`),
    );
    expect(missing.map((d) => d.code)).toEqual([]);
    expect(errorDefinitions().map((d) => d.code)).toEqual(
      expect.arrayContaining(['REQUEST.INVALID', 'ASSET.NOT_FOUND', 'TELEMETRY.BAD_TIMESTAMP', 'TENANT.UNKNOWN']),
    );
  });

  it('answers each problem response of the OpenAPI document with the status its codes declare', () => {
    const paths = buildOpenApiDocument()['paths'] as Record<string, Record<string, Json>>;
    let checked = 0;
    for (const operation of Object.values(paths).flatMap((p) => Object.values(p))) {
      for (const [status, response] of Object.entries(operation['responses'] as Record<string, Json>)) {
        const content = response['content'] as Json | undefined;
        if (!content?.['application/problem+json']) continue;
        for (const code of String(response['description']).split(', ')) {
          expect([code, errorDefinition(code)?.status]).toEqual([code, Number(status)]);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
  });
});
