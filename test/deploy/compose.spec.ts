/**
 * docker-compose.yml, checked offline (no Docker here): against the Compose Specification's JSON
 * schema (vendored, test/deploy/README.md), and against the project — build contexts, mounted files,
 * images, ports and every environment variable a Meridian container receives, read back through the
 * services' own config schemas in production mode.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import type { z } from 'zod';
import { bootstrapAccountsOf } from '@meridian/identity/data-access';
import { federationSettingsOf } from '@meridian/identity/feature-federation';
import { oidcSettingsOf } from '@meridian/identity/feature-oidc';
import { baseConfigSchema, secretsKeyOf } from '@meridian/shared/service-kit';
import { gatewayConfigSchema, settingsOf } from '../../apps/gateway/src/config';
import { geoQueryConfigSchema } from '../../apps/geo-query/src/config';
import { identityConfigSchema } from '../../apps/identity/src/config';
import { projectionConfigSchema } from '../../apps/projection/src/config';
import { workflowConfigSchema } from '../../apps/workflow/src/config';
import { roleOf as entrypointRole, HEALTH_PORTS } from '../../tools/meridian';

const ROOT = join(__dirname, '..', '..');
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
const MERIDIAN_IMAGE = 'meridian:local';

type Env = Readonly<Record<string, string | undefined>>;
type Mapping = Record<string, unknown>;

const isMapping = (v: unknown): v is Mapping => typeof v === 'object' && v !== null && !Array.isArray(v);

function mapping(v: unknown, where: string): Mapping {
  if (!isMapping(v)) throw new Error(`${where}: expected a mapping`);
  return v;
}

// ---- Interpolation, as compose does it before anything else -------------------------------------

class MissingVariable extends Error {}

/** What the file reads from .env or the shell: required (`:?`, `?`) or with the default it falls back to. */
interface Reference {
  readonly required: boolean;
  readonly defaults: Set<string>;
}

/**
 * Compose's syntax: `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
 * `${VAR?error}`, `${VAR:+x}`, `${VAR+x}`; defaults may themselves hold `${…}`.
 */
function interpolate(text: string, env: Env, refs: Map<string, Reference>): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '$') {
      out += text[i];
      i += 1;
    } else if (text[i + 1] === '$') {
      out += '$';
      i += 2;
    } else if (text[i + 1] === '{') {
      const end = closingBrace(text, i + 2);
      out += substitute(text.slice(i + 2, end), env, refs);
      i = end + 1;
    } else {
      const name = /^[A-Za-z_]\w*/.exec(text.slice(i + 1))?.[0];
      if (name === undefined) throw new Error(`a lone $ in "${text}" (write $$)`);
      note(refs, name, false);
      out += env[name] ?? '';
      i += 1 + name.length;
    }
  }
  return out;
}

function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let j = from; j < text.length; j++) {
    if (text[j] === '{') depth += 1;
    if (text[j] === '}' && --depth === 0) return j;
  }
  throw new Error(`unclosed \${ in "${text}"`);
}

function note(refs: Map<string, Reference>, name: string, required: boolean, fallback?: string): void {
  const ref = refs.get(name) ?? { required: false, defaults: new Set<string>() };
  const next = { required: ref.required || required, defaults: ref.defaults };
  if (fallback !== undefined) next.defaults.add(fallback);
  refs.set(name, next);
}

function substitute(expression: string, env: Env, refs: Map<string, Reference>): string {
  const match = /^([A-Za-z_]\w*)(?:(:?[-?+])([\s\S]*))?$/.exec(expression);
  if (!match) throw new Error(`invalid interpolation \${${expression}}`);
  const [, name, op, word = ''] = match;
  const value = env[name];
  const nonEmpty = value !== undefined && value !== '';
  const inner = (): string => interpolate(word, env, refs);
  switch (op) {
    case undefined:
      note(refs, name, false);
      return value ?? '';
    case ':-':
    case '-': {
      const fallback = inner();
      note(refs, name, false, fallback);
      return (op === ':-' ? nonEmpty : value !== undefined) ? (value ?? '') : fallback;
    }
    case ':?':
    case '?':
      note(refs, name, true);
      if (op === ':?' ? !nonEmpty : value === undefined) throw new MissingVariable(`${name}: ${inner()}`);
      return value ?? '';
    case ':+':
    case '+':
      note(refs, name, false);
      return (op === ':+' ? nonEmpty : value !== undefined) ? inner() : '';
    default:
      throw new Error(`unknown operator ${op} in \${${expression}}`);
  }
}

/** Every string value interpolated (keys are not, as in compose). */
function interpolateAll(node: unknown, env: Env, refs: Map<string, Reference>): unknown {
  if (typeof node === 'string') return interpolate(node, env, refs);
  if (Array.isArray(node)) return node.map((item) => interpolateAll(item, env, refs));
  if (isMapping(node)) {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateAll(v, env, refs)]));
  }
  return node;
}

// ---- The file, read once ------------------------------------------------------------------------

/** YAML 1.2 plus merge keys (`<<: *anchor`), which compose supports. */
const raw: unknown = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true });

/** Values generated the way .env.example says (openssl rand …). */
const sampleEnv: Env = {
  MERIDIAN_SECRETS_KEY: randomBytes(32).toString('base64'),
  MERIDIAN_POSTGRES_PASSWORD: randomBytes(24).toString('hex'),
  MERIDIAN_PLATFORM_CLIENT_SECRET: randomBytes(24).toString('base64url'),
  MERIDIAN_TENANT_ADMIN_SECRET: randomBytes(24).toString('base64url'),
  MERIDIAN_COOKIE_KEYS: randomBytes(32).toString('hex'),
};

const refs = new Map<string, Reference>();
const compose = mapping(interpolateAll(raw, sampleEnv, refs), 'docker-compose.yml');
const services = mapping(compose['services'], 'services');
const service = (name: string): Mapping => mapping(services[name], `services.${name}`);

function environmentOf(name: string): Record<string, string> {
  const env = service(name)['environment'] ?? {};
  const entries: [string, unknown][] = Array.isArray(env)
    ? env.map((line) => {
        const [key, ...value] = String(line).split('=');
        return [key, value.join('=')];
      })
    : Object.entries(mapping(env, `services.${name}.environment`));
  return Object.fromEntries(entries.map(([k, v]) => [k, v === null ? '' : String(v)]));
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

interface Port {
  readonly target: number;
  readonly published?: number;
  readonly hostIp?: string;
}

/** Short syntax `[ip:][published:]target[/protocol]` or the long one. */
function portsOf(name: string): Port[] {
  return list(service(name)['ports']).map((p) => {
    if (isMapping(p)) {
      return {
        target: Number(p['target']),
        published: p['published'] === undefined ? undefined : Number(p['published']),
        hostIp: p['host_ip'] === undefined ? undefined : String(p['host_ip']),
      };
    }
    const parts = String(p).split('/')[0].split(':');
    const target = Number(parts.at(-1));
    const published = parts.length >= 2 ? Number(parts.at(-2)) : undefined;
    return { target, published, hostIp: parts.length === 3 ? parts[0] : undefined };
  });
}

interface Mount {
  readonly source: string;
  readonly target: string;
  readonly bind: boolean;
}

function mountsOf(name: string): Mount[] {
  return list(service(name)['volumes']).map((v) => {
    if (isMapping(v)) {
      return { source: String(v['source']), target: String(v['target']), bind: v['type'] === 'bind' };
    }
    const [source, target] = String(v).split(':');
    return { source, target, bind: /^[./~]/.test(source) };
  });
}

/** `depends_on` as a map of target → condition (the list form means service_started). */
function dependenciesOf(name: string): Record<string, string> {
  const deps = service(name)['depends_on'];
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [String(d), 'service_started']));
  if (deps === undefined) return {};
  return Object.fromEntries(
    Object.entries(mapping(deps, `services.${name}.depends_on`)).map(([target, v]) => [
      target,
      String(mapping(v, `services.${name}.depends_on.${target}`)['condition']),
    ]),
  );
}

const hasHealthcheck = (name: string): boolean => {
  const check = service(name)['healthcheck'];
  return isMapping(check) && check['disable'] !== true && Array.isArray(check['test']) && check['test'][0] !== 'NONE';
};

const profilesOf = (name: string): string[] => list(service(name)['profiles']).map(String);

// ---- Meridian's services and their config schemas ------------------------------------------------

const serviceSchemas = {
  gateway: gatewayConfigSchema,
  identity: identityConfigSchema,
  workflow: workflowConfigSchema,
  projection: projectionConfigSchema,
  'geo-query': geoQueryConfigSchema,
} as const;
type Role = keyof typeof serviceSchemas | 'migrate' | 'topics';
const ROLES: readonly Role[] = ['gateway', 'identity', 'workflow', 'projection', 'geo-query', 'migrate', 'topics'];

/** The one-shot jobs run tools over the shared infrastructure settings. */
const schemaOf = (role: Role): z.ZodObject =>
  role === 'migrate' || role === 'topics' ? baseConfigSchema : serviceSchemas[role];

/** Variables no zod schema declares that a Meridian container may still receive (brief of issue 11). */
const EXTRA_VARIABLES = [/^MERIDIAN_SERVICE$/, /^NODE_ENV$/, /^METRICS_PORT$/, /^KAFKA_TOPIC_REPLICATION_FACTOR$/];
const EXTRA_PREFIXES = [/^OTEL_/, /^KAFKA_SSL/, /^KAFKA_SASL_/];

const meridianServices = Object.keys(services).filter((name) => service(name)['image'] === MERIDIAN_IMAGE);

function roleOf(name: string): Role {
  const command = list(service(name)['command']);
  const role = environmentOf(name)['MERIDIAN_SERVICE'] ?? String(command[0]);
  const known = ROLES.find((r) => r === role);
  if (known === undefined) throw new Error(`services.${name}: no Meridian role (${role})`);
  return known;
}

/** Port settings (`*_PORT`, METRICS_PORT) of a config the service's schema validated. */
function portSettings(config: Record<string, unknown>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(config).filter((e): e is [string, number] => /_PORT$/.test(e[0]) && typeof e[1] === 'number'),
  );
}

function parsedConfig(name: string): Record<string, unknown> {
  const result = schemaOf(roleOf(name)).safeParse(environmentOf(name));
  if (!result.success) {
    throw new Error(
      `services.${name}: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return result.data;
}

// ---- The tests -----------------------------------------------------------------------------------

function composeValidator(): ValidateFunction {
  const schema = mapping(
    JSON.parse(readFileSync(join(__dirname, 'compose-spec.schema.json'), 'utf8')),
    'compose-spec.schema.json',
  );
  // The file names draft-07 as https://json-schema.org/draft-07/schema; Ajv knows the same
  // meta-schema by its canonical id. strictTypes off: the spec leaves `type` implied in places.
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
  addFormats(ajv);
  return ajv.compile({ ...schema, $schema: 'http://json-schema.org/draft-07/schema#' });
}

describe('docker-compose.yml against the Compose Specification', () => {
  const validate = composeValidator();

  it('is valid once interpolated', () => {
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the validator refuses a broken variant: a bad depends_on condition, a misspelt key', () => {
    const badCondition = structuredClone(compose);
    mapping(mapping(mapping(badCondition['services'], 's')['gateway'], 'g')['depends_on'], 'd')['kafka'] = {
      condition: 'service_ready',
    };
    expect(validate(badCondition)).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toContain('/services/gateway/depends_on/kafka/condition');

    const misspelt = structuredClone(compose);
    const redis = mapping(mapping(misspelt['services'], 's')['redis'], 'r');
    redis['healtcheck'] = redis['healthcheck'];
    expect(validate(misspelt)).toBe(false);
    expect(validate.errors?.map((e) => e.params)).toContainEqual({ additionalProperty: 'healtcheck' });
  });
});

describe('docker-compose.yml and .env.example', () => {
  const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
  const set = new Map([...example.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1], m[2]]));
  const optional = new Map([...example.matchAll(/^# ([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1], m[2]]));

  it('compose refuses to start while any required setting is missing', () => {
    const required = [...refs].filter(([, r]) => r.required).map(([name]) => name);
    expect(required.sort()).toEqual(Object.keys(sampleEnv).sort());
    for (const name of required) {
      const without = { ...sampleEnv, [name]: '' };
      expect(() => interpolateAll(raw, without, new Map())).toThrow(new RegExp(`^${name}: set ${name} in .env`));
    }
  });

  it('lists every setting the file reads: required ones empty, optional ones commented with their default', () => {
    const required = [...refs].filter(([, r]) => r.required).map(([name]) => name);
    expect([...set.keys()].sort()).toEqual(required.sort());
    expect([...set.values()].every((v) => v === '')).toBe(true);
    const optionalRefs = [...refs].filter(([, r]) => !r.required);
    expect([...optional.keys()].sort()).toEqual(optionalRefs.map(([name]) => name).sort());
    for (const [name, ref] of optionalRefs) {
      // One default per variable wherever the file uses it, and the example shows that default.
      expect({ name, defaults: [...ref.defaults] }).toEqual({ name, defaults: [optional.get(name)] });
    }
  });
});

describe('docker-compose.yml references what exists in the project', () => {
  it('builds from contexts and Dockerfiles that exist', () => {
    const builds = Object.keys(services).filter((name) => service(name)['build'] !== undefined);
    expect(builds.length).toBeGreaterThan(0);
    for (const name of builds) {
      const build = service(name)['build'];
      const context = isMapping(build) ? String(build['context'] ?? '.') : String(build);
      const dockerfile = isMapping(build) ? String(build['dockerfile'] ?? 'Dockerfile') : 'Dockerfile';
      expect({ name, context: statSync(join(ROOT, context)).isDirectory() }).toEqual({ name, context: true });
      expect({ name, dockerfile: existsSync(join(ROOT, context, dockerfile)) }).toEqual({ name, dockerfile: true });
    }
  });

  it('mounts host files that exist, and named volumes the file declares', () => {
    const volumes = Object.keys(mapping(compose['volumes'] ?? {}, 'volumes'));
    for (const name of Object.keys(services)) {
      for (const mount of mountsOf(name)) {
        if (mount.bind)
          expect({ name, mount, exists: existsSync(join(ROOT, mount.source)) }).toMatchObject({ exists: true });
        else expect(volumes).toContain(mount.source);
      }
    }
  });

  it('pins every image to a tag, never latest', () => {
    for (const name of Object.keys(services)) {
      const image = String(service(name)['image']);
      const tag = /^(?:[^/]+\/)*[^/:@]+(?::([\w][\w.-]*))?(?:@sha256:[0-9a-f]{64})?$/.exec(image);
      expect({ name, image, pinned: tag?.[1] !== undefined && tag[1] !== 'latest' }).toMatchObject({ pinned: true });
    }
  });

  it('depends only on defined services, and on health or completion that the target can report', () => {
    for (const name of Object.keys(services)) {
      for (const [target, condition] of Object.entries(dependenciesOf(name))) {
        expect({ name, target, defined: target in services }).toMatchObject({ defined: true });
        if (condition === 'service_healthy') {
          expect({ name, target, healthcheck: hasHealthcheck(target) }).toMatchObject({ healthcheck: true });
        }
        if (condition === 'service_completed_successfully') {
          expect({ name, target, restart: service(target)['restart'] }).toMatchObject({ restart: 'no' });
        }
        // A service that always starts cannot wait for one that starts only under a profile.
        if (profilesOf(name).length === 0)
          expect({ name, target, profiles: profilesOf(target) }).toMatchObject({ profiles: [] });
      }
    }
  });

  it('runs Keycloak only under the federation profile', () => {
    const keycloaks = Object.keys(services).filter((n) => String(service(n)['image']).includes('keycloak'));
    expect(keycloaks).toEqual(['keycloak']);
    expect(profilesOf('keycloak')).toEqual(['federation']);
    expect(mountsOf('keycloak')).toContainEqual({
      source: './infra/keycloak/realm-meridian-ext.json',
      target: '/opt/keycloak/data/import/realm-meridian-ext.json',
      bind: true,
    });
  });

  it('points every Meridian container at the Kafka, PostGIS and Redis services it defines', () => {
    const kafka = environmentOf('kafka');
    const advertised = kafka['KAFKA_ADVERTISED_LISTENERS'].split(',').map((l) => l.replace(/^\w+:\/\//, ''));
    const pg = environmentOf('postgis');
    for (const name of meridianServices) {
      const env = environmentOf(name);
      for (const broker of env['KAFKA_BROKERS'].split(',')) expect(advertised).toContain(broker);
      const db = new URL(env['DATABASE_URL']);
      expect({ host: db.hostname, port: db.port, path: db.pathname, user: db.username, password: db.password }).toEqual(
        {
          host: 'postgis',
          port: '5432',
          path: `/${pg['POSTGRES_DB']}`,
          user: pg['POSTGRES_USER'],
          password: pg['POSTGRES_PASSWORD'],
        },
      );
      const redis = new URL(env['REDIS_URL']);
      expect(`${redis.hostname}:${redis.port}`).toBe('redis:6379');
    }
    expect(environmentOf('topics')['KAFKA_TOPIC_REPLICATION_FACTOR']).toBe('1');
    expect(kafka['KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR']).toBe('1');
  });
});

describe("Meridian's containers", () => {
  it('are the five services and the two one-shot jobs, each with its role', () => {
    expect(meridianServices.map(roleOf).sort()).toEqual([...ROLES].sort());
    for (const name of meridianServices) {
      const role = roleOf(name);
      if (role === 'migrate' || role === 'topics') {
        expect({ name, restart: service(name)['restart'], command: service(name)['command'] }).toEqual({
          name,
          restart: 'no',
          command: [role],
        });
      } else {
        expect({ name, role, healthcheck: hasHealthcheck(name) }).toEqual({ name, role: name, healthcheck: true });
        expect(dependenciesOf(name)).toMatchObject({
          kafka: 'service_healthy',
          postgis: 'service_healthy',
          redis: 'service_healthy',
          migrate: 'service_completed_successfully',
          topics: 'service_completed_successfully',
        });
      }
    }
  });

  it("run roles the image's entry point knows; healthchecks ask the port each service serves health on", () => {
    for (const name of meridianServices) {
      const command = list(service(name)['command']).map(String);
      expect(entrypointRole(command, environmentOf(name)).role).toBe(roleOf(name));
    }
    for (const name of ['gateway', 'identity', 'workflow', 'projection', 'geo-query'] as const) {
      const health = HEALTH_PORTS[name];
      const listens = Number(environmentOf(name)[health.env] ?? health.port);
      expect({ name, listens }).toEqual({ name, listens: parsedConfig(name)[health.env] });
      const healthcheck = mapping(service(name)['healthcheck'], `services.${name}.healthcheck`);
      expect(healthcheck['test']).toEqual(['CMD', 'node', 'dist/server/tools/meridian.js', 'healthcheck']);
    }
  });

  it('receive only variables their config schema declares (or the allowed extras)', () => {
    for (const name of meridianServices) {
      const declared = new Set(Object.keys(schemaOf(roleOf(name)).shape));
      const undeclared = Object.keys(environmentOf(name)).filter(
        (key) =>
          !declared.has(key) && !EXTRA_VARIABLES.some((r) => r.test(key)) && !EXTRA_PREFIXES.some((r) => r.test(key)),
      );
      expect({ name, undeclared }).toEqual({ name, undeclared: [] });
    }
  });

  it('start in production: the config accepts every setting and no development default is left', () => {
    for (const name of meridianServices) {
      const config = parsedConfig(name);
      expect({ name, env: config['NODE_ENV'], host: config['HOST'] }).toEqual({
        name,
        env: 'production',
        host: '0.0.0.0',
      });
      expect(() => secretsKeyOf(baseConfigSchema.parse(environmentOf(name)))).not.toThrow();
    }
    expect(() => settingsOf(gatewayConfigSchema.parse(environmentOf('gateway')))).not.toThrow();
    const identity = identityConfigSchema.parse(environmentOf('identity'));
    expect(() => bootstrapAccountsOf(identity)).not.toThrow();
    expect(() => oidcSettingsOf(identity)).not.toThrow();
    expect(() => federationSettingsOf(identity)).not.toThrow();
    expect(projectionConfigSchema.parse(environmentOf('projection')).WEBHOOKS_ALLOW_LOOPBACK).toBe(false);
    for (const name of meridianServices) expect(environmentOf(name)['WEBHOOKS_ALLOW_LOOPBACK']).not.toBe('true');
  });

  it('expose and publish exactly the ports their config listens on; only the public ones reach the host', () => {
    const published: Record<string, number[]> = {};
    for (const name of meridianServices) {
      const ports = Object.values(portSettings(parsedConfig(name)));
      const targets = [...portsOf(name).map((p) => p.target), ...list(service(name)['expose']).map(Number)];
      for (const target of targets)
        expect({ name, target, listens: ports.includes(target) }).toMatchObject({ listens: true });
      const open = portsOf(name).filter((p) => p.published !== undefined);
      if (open.length) published[name] = open.map((p) => p.target);
      for (const p of open) expect({ name, ...p }).toMatchObject({ published: p.target, hostIp: '127.0.0.1' });
    }
    const gateway = gatewayConfigSchema.parse(environmentOf('gateway'));
    const identity = identityConfigSchema.parse(environmentOf('identity'));
    expect(published).toEqual({ gateway: [gateway.GATEWAY_PORT], identity: [identity.IDENTITY_OIDC_PORT] });
  });

  it('name the URLs browsers reach: the published ports, one issuer for gateway and identity', () => {
    const gateway = gatewayConfigSchema.parse(environmentOf('gateway'));
    const identity = identityConfigSchema.parse(environmentOf('identity'));
    const hostPort = (name: string): string => String(portsOf(name).find((p) => p.published !== undefined)?.published);
    expect(gateway.OIDC_ISSUER).toBe(identity.OIDC_ISSUER);
    expect(new URL(identity.OIDC_ISSUER).port).toBe(hostPort('identity'));
    expect(new URL(gateway.GATEWAY_PUBLIC_URL ?? '').port).toBe(hostPort('gateway'));
    expect(identity.IDENTITY_CONSOLE_REDIRECT_URIS).toContain(`${gateway.GATEWAY_PUBLIC_URL}/console/`);
  });

  it('share the exports volume at EXPORTS_DIR between geo-query (writes) and the gateway (reads)', () => {
    for (const name of ['gateway', 'geo-query']) {
      const dir = environmentOf(name)['EXPORTS_DIR'];
      expect(parsedConfig(name)['EXPORTS_STORAGE']).toBe('directory');
      expect(mountsOf(name)).toContainEqual({ source: 'exports', target: dir, bind: false });
    }
  });
});
