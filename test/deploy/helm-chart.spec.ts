/**
 * The Helm chart (k8s/meridian), checked offline through helm-java (infra/scripts/helm.sh; no helm
 * binary, no cluster): `helm lint` and `helm template` with the default values and with
 * values-production.yaml, every rendered manifest validated against the Kubernetes JSON schema of its
 * kind (kubernetes-models 4.5.1; the optional PodMonitor, a CRD, structurally), and the chart's
 * promises checked on what it renders — probes, resources and a non-root read-only container per
 * service, a graceful stop, the only public ports, the migration hook and its first-install pitfall,
 * a generated SECRETS_KEY that no reinstall replaces, no secret in clear in production, and every
 * environment variable read back through the services' own config schemas in production mode.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import type { IJob } from 'kubernetes-models/batch/v1';
import type { IIngress, INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { IConfigMap, IContainer, IPodSpec, ISecret, IService } from 'kubernetes-models/v1';
import { parse, stringify } from 'yaml';
import type { z } from 'zod';
import { bootstrapAccountsOf } from '@meridian/identity/data-access';
import { oidcSettingsOf } from '@meridian/identity/feature-oidc';
import { baseConfigSchema, secretsKeyOf } from '@meridian/shared/service-kit';
import { gatewayConfigSchema, settingsOf } from '../../apps/gateway/src/config';
import { geoQueryConfigSchema } from '../../apps/geo-query/src/config';
import { identityConfigSchema } from '../../apps/identity/src/config';
import { projectionConfigSchema } from '../../apps/projection/src/config';
import { workflowConfigSchema } from '../../apps/workflow/src/config';
import {
  CHART,
  ensureHelm,
  lint,
  type Manifest,
  manifestsOf,
  type Mapping,
  template,
  type Validation,
  validateManifest,
} from './helm-render';

const SERVICES = ['gateway', 'identity', 'workflow', 'projection', 'geo-query'] as const;
type ServiceName = (typeof SERVICES)[number];

const SCHEMAS: Readonly<Record<ServiceName, z.ZodObject>> = {
  gateway: gatewayConfigSchema,
  identity: identityConfigSchema,
  workflow: workflowConfigSchema,
  projection: projectionConfigSchema,
  'geo-query': geoQueryConfigSchema,
};

/**
 * Variables the chart sets that no zod schema declares, each read by something real: the image's
 * entry point (tools/meridian.ts: MERIDIAN_SERVICE), the OpenTelemetry SDK (its standard variables),
 * node-postgres (PGPASSWORD, the password when DATABASE_URL carries none).
 */
const DECLARED_ELSEWHERE = new Set([
  'MERIDIAN_SERVICE',
  'OTEL_SERVICE_NAME',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'PGPASSWORD',
]);

/** Every name a service's config schema declares (the base schema's through each service's). */
const DECLARED = new Set([
  ...Object.keys(baseConfigSchema.shape),
  ...SERVICES.flatMap((s) => Object.keys(SCHEMAS[s].shape)),
]);

const PUBLIC_PORTS = ['gateway:8080', 'identity:8090'];

/** The Secrets values-production.yaml expects operators to create, with sample contents. */
const PRODUCTION_SECRETS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'meridian-secrets': {
    SECRETS_KEY: randomBytes(32).toString('base64'),
    IDENTITY_PLATFORM_CLIENT_SECRET: randomBytes(24).toString('hex'),
    IDENTITY_BOOTSTRAP_ADMIN_SECRET: randomBytes(24).toString('hex'),
    IDENTITY_COOKIE_KEYS: randomBytes(24).toString('hex'),
    REDIS_URL: 'rediss://meridian:sample-password@meridian.redis.example.internal:6380/0',
  },
  'meridian-postgresql': { password: 'sample-pg-password' },
  'meridian-kafka': { password: 'sample-kafka-password' },
};

const as = <T>(m: Manifest): T => m as unknown as T;

const ofKind = (ms: readonly Manifest[], kind: string): Manifest[] => ms.filter((m) => m.kind === kind);

function one(ms: readonly Manifest[], kind: string, name: string): Manifest {
  const found = ms.filter((m) => m.kind === kind && m.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0];
}

const deploymentOf = (ms: readonly Manifest[], service: ServiceName): IDeployment =>
  as<IDeployment>(one(ms, 'Deployment', `meridian-${service}`));

function podSpecOf(d: IDeployment | IJob): IPodSpec {
  const spec = d.spec?.template.spec;
  if (spec === undefined) throw new Error(`${d.metadata?.name}: no pod spec`);
  return spec;
}

function mainContainer(d: IDeployment): IContainer {
  const [container, ...others] = podSpecOf(d).containers;
  expect(others).toEqual([]);
  return container;
}

/** Data of a rendered ConfigMap or Secret (Secrets decoded), by name; undefined when not rendered. */
function sourceData(ms: readonly Manifest[], kind: 'ConfigMap' | 'Secret', name: string): Mapping | undefined {
  const m = ms.find((x) => x.kind === kind && x.metadata.name === name);
  if (m === undefined) return undefined;
  if (kind === 'ConfigMap') return { ...(as<IConfigMap>(m).data ?? {}) };
  const data = as<ISecret>(m).data ?? {};
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

/**
 * The environment a container would start with: envFrom sources in order (later wins), then env
 * (wins over envFrom), `$(VAR)` references as Kubernetes expands them. Sources the chart did not
 * render come from `external` (the operator's Secrets); a missing one throws.
 */
function environmentOf(
  ms: readonly Manifest[],
  container: IContainer,
  external: Readonly<Record<string, Readonly<Record<string, string>>>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  const lookup = (kind: 'ConfigMap' | 'Secret', name: string): Mapping => {
    const data = sourceData(ms, kind, name) ?? external[name];
    if (data === undefined) throw new Error(`${container.name}: ${kind} ${name} is neither rendered nor provided`);
    return data;
  };
  for (const from of container.envFrom ?? []) {
    const data = from.configMapRef
      ? lookup('ConfigMap', from.configMapRef.name ?? '')
      : lookup('Secret', from.secretRef?.name ?? '');
    for (const [k, v] of Object.entries(data)) env[k] = String(v);
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) {
      env[e.name] = e.value.replace(/\$\(([A-Z0-9_]+)\)/g, (_, n: string) => env[n] ?? `$(${n})`);
    } else if (e.valueFrom?.secretKeyRef) {
      const ref = e.valueFrom.secretKeyRef;
      const v = lookup('Secret', ref.name ?? '')[ref.key];
      if (typeof v !== 'string') throw new Error(`${container.name}: ${e.name} from a missing key ${ref.key}`);
      env[e.name] = v;
    } else {
      throw new Error(`${container.name}: ${e.name} has a source the test does not resolve`);
    }
  }
  return env;
}

/** Names a container gets: its env entries and every key of the ConfigMaps/Secrets it imports. */
function envNamesOf(ms: readonly Manifest[], container: IContainer): string[] {
  const names = (container.env ?? []).map((e) => e.name);
  for (const from of container.envFrom ?? []) {
    const data = from.configMapRef
      ? sourceData(ms, 'ConfigMap', from.configMapRef.name ?? '')
      : sourceData(ms, 'Secret', from.secretRef?.name ?? '');
    names.push(...Object.keys(data ?? {}));
  }
  return names;
}

/**
 * The delete policies Helm applies to a hook: the annotation's list, or `before-hook-creation` when
 * it is absent or empty (Helm's default, pkg/action/hooks.go execHook) — the policy that deletes an
 * existing object of the same name before the hook creates it again.
 */
function effectiveHookDeletePolicies(m: Manifest): string[] {
  const listed = (m.metadata.annotations?.['helm.sh/hook-delete-policy'] ?? '')
    .split(',')
    .map((p) => p.trim().toLowerCase())
    .filter((p) => p !== '');
  return listed.length > 0 ? listed : ['before-hook-creation'];
}

/** Validates every manifest; how many were checked each way. */
function validateAll(ms: readonly Manifest[]): Record<Validation, number> {
  const counts: Record<Validation, number> = { kubernetes: 0, structural: 0 };
  for (const m of ms) counts[validateManifest(m)] += 1;
  return counts;
}

type LabelSelector = { matchLabels?: Record<string, string>; matchExpressions?: unknown } | undefined;

/** matchLabels only: the chart uses no matchExpressions (a selector with them fails here). */
function selects(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  if (selector?.matchExpressions !== undefined) throw new Error('matchExpressions not expected');
  return Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

/**
 * Who may open each container port of each service under the rendered NetworkPolicies:
 * `anywhere` (a rule without `from`), `some` (a rule with peers), `none` (only the default deny).
 */
function ingressReach(ms: readonly Manifest[]): Map<string, 'anywhere' | 'some' | 'none'> {
  const policies = ofKind(ms, 'NetworkPolicy').map((m) => as<INetworkPolicy>(m));
  const reach = new Map<string, 'anywhere' | 'some' | 'none'>();
  for (const service of SERVICES) {
    const d = deploymentOf(ms, service);
    const labels = d.spec?.template.metadata?.labels ?? {};
    const applying = policies.filter(
      (p) => p.spec?.policyTypes?.includes('Ingress') && selects(p.spec.podSelector, labels),
    );
    // Isolated for ingress at all, else everything would be open.
    expect({ service, isolated: applying.length > 0 }).toEqual({ service, isolated: true });
    for (const port of mainContainer(d).ports ?? []) {
      let level: 'anywhere' | 'some' | 'none' = 'none';
      for (const rule of applying.flatMap((p) => p.spec?.ingress ?? [])) {
        const matchesPort =
          rule.ports === undefined || rule.ports.some((p) => p.port === port.containerPort || p.port === port.name);
        if (!matchesPort) continue;
        if (rule.from === undefined || rule.from.length === 0) level = 'anywhere';
        else if (level === 'none') level = 'some';
      }
      reach.set(`${service}:${port.containerPort}`, level);
    }
  }
  return reach;
}

describe('Helm chart k8s/meridian (helm-java, offline)', () => {
  let dir: string;
  const file = (name: string, yaml: string): string => {
    const path = join(dir, name);
    writeFileSync(path, yaml);
    return path;
  };
  const renders = new Map<string, Manifest[]>();
  const DEFAULT = join(CHART, 'values.yaml');
  const PRODUCTION = join(CHART, 'values-production.yaml');
  const rendered = (values: string): Manifest[] => {
    const ms = renders.get(values);
    if (ms === undefined) throw new Error(`${values} was not rendered`);
    return ms;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'meridian-helm-spec-'));
    ensureHelm();
  }, 600_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe.each([
    ['default values', DEFAULT],
    ['values-production.yaml', PRODUCTION],
  ])('%s', (label, values) => {
    it('passes helm lint without errors', () => {
      const run = lint(values);
      expect(run.errors).toEqual([]);
      expect(run.status).toBe(0);
    });

    it('renders, and every manifest is valid against the Kubernetes schema of its kind', () => {
      const run = template(values);
      expect(run.stderr).not.toContain('FAILED');
      expect(run.status).toBe(0);
      const ms = manifestsOf(run.rendered ?? '');
      const counts = validateAll(ms);
      // No custom resource unless asked for (metrics.podMonitor is off in both files).
      expect(counts).toEqual({ kubernetes: ms.length, structural: 0 });
      // Five Deployments, Services and PDBs, the hook Job, policies, config: never a near-empty render.
      expect(ms.length).toBeGreaterThanOrEqual(24);
      renders.set(values, ms);
      const kinds = [...new Set(ms.map((m) => m.kind))].sort().join(', ');
      process.stdout.write(`[helm] validated ${ms.length} manifests (${label}): ${kinds}\n`);
    });

    it('gives each of the five services probes, resources and a non-root, read-only, capability-free container', () => {
      const ms = rendered(values);
      expect(
        ofKind(ms, 'Deployment')
          .map((d) => d.metadata.name)
          .sort(),
      ).toEqual(SERVICES.map((s) => `meridian-${s}`).sort());
      for (const service of SERVICES) {
        const d = deploymentOf(ms, service);
        const pod = podSpecOf(d);
        const c = mainContainer(d);
        expect(c.args).toEqual([service]);
        expect(c.livenessProbe?.httpGet?.path).toBe('/health/live');
        expect(c.readinessProbe?.httpGet?.path).toBe('/health/ready');
        expect(c.startupProbe?.httpGet?.path).toBe('/health/live');
        for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
          // On the service's own HTTP port (identity: management, not the public OIDC port).
          expect(probe?.httpGet?.port).toBe('http');
        }
        for (const bound of [c.resources?.requests, c.resources?.limits]) {
          expect(Object.keys(bound ?? {}).sort()).toEqual(['cpu', 'memory']);
        }
        expect(pod.securityContext?.runAsNonRoot).toBe(true);
        expect(pod.securityContext?.runAsUser).toBe(1000);
        expect(pod.securityContext?.seccompProfile?.type).toBe('RuntimeDefault');
        expect(c.securityContext).toMatchObject({
          runAsNonRoot: true,
          runAsUser: 1000,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
        const tmpVolume = pod.volumes?.find((v) => v.name === 'tmp');
        expect(tmpVolume?.emptyDir).toBeDefined();
        expect(c.volumeMounts?.find((m) => m.name === 'tmp')?.mountPath).toBe('/tmp');
        expect(pod.automountServiceAccountToken).toBe(false);
        expect(c.ports?.find((p) => p.name === 'metrics')?.containerPort).toBe(9464);
        const annotations = d.spec?.template.metadata?.annotations ?? {};
        expect(annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9464' });
        expect(annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
        expect(annotations['checksum/secret']).toMatch(/^[0-9a-f]{64}$/);
        expect(pod.topologySpreadConstraints?.length ?? 0).toBeGreaterThan(0);
      }
    });

    it('exposes Services on the services’ ports plus metrics', () => {
      const ms = rendered(values);
      const portsOf = (s: ServiceName) =>
        (as<IService>(one(ms, 'Service', `meridian-${s}`)).spec?.ports ?? []).map((p) => `${p.name}:${p.port}`).sort();
      expect(portsOf('gateway')).toEqual(['http:8080', 'metrics:9464']);
      expect(portsOf('identity')).toEqual(['http:8081', 'metrics:9464', 'oidc:8090']);
      expect(portsOf('workflow')).toEqual(['http:8082', 'metrics:9464']);
      expect(portsOf('projection')).toEqual(['http:8083', 'metrics:9464']);
      expect(portsOf('geo-query')).toEqual(['http:8084', 'metrics:9464']);
    });

    it('stops gracefully: a preStop sleep, then a grace period longer than the sleep plus the shutdown timeout', () => {
      const ms = rendered(values);
      for (const service of SERVICES) {
        const d = deploymentOf(ms, service);
        const c = mainContainer(d);
        // The image is Debian-based (node:20-bookworm-slim): `sleep` is /bin/sleep, on PATH.
        expect(c.lifecycle?.preStop?.exec?.command).toEqual(['sleep', '5']);
        const { SHUTDOWN_TIMEOUT_MS } = baseConfigSchema.parse(environmentOf(ms, c, PRODUCTION_SECRETS));
        const grace = podSpecOf(d).terminationGracePeriodSeconds ?? 30;
        expect(grace * 1000).toBeGreaterThan(5 * 1000 + SHUTDOWN_TIMEOUT_MS);
      }
    });

    it('lets only gateway:8080 and identity:8090 in from anywhere, metrics from the scrapers, nothing else', () => {
      const ms = rendered(values);
      const reach = ingressReach(ms);
      const anywhere = [...reach].filter(([, l]) => l === 'anywhere').map(([p]) => p);
      expect(anywhere.sort()).toEqual(PUBLIC_PORTS);
      for (const service of SERVICES) expect(reach.get(`${service}:9464`)).toBe('some');
      const closed = [...reach].filter(([p]) => !PUBLIC_PORTS.includes(p) && !p.endsWith(':9464'));
      expect(closed.length).toBeGreaterThan(0);
      for (const [port, level] of closed) expect({ port, level }).toEqual({ port, level: 'none' });
    });

    it('runs migrate then topics in a pre-install/pre-upgrade Job that needs nothing the release creates later', () => {
      const ms = rendered(values);
      const jobManifest = one(ms, 'Job', 'meridian-migrations');
      const job = as<IJob>(jobManifest);
      const hooks = (m: Manifest) => (m.metadata.annotations?.['helm.sh/hook'] ?? '').split(',');
      expect(hooks(jobManifest).sort()).toEqual(['pre-install', 'pre-upgrade']);
      const pod = podSpecOf(job);
      expect(pod.initContainers?.map((c) => [c.name, c.args])).toEqual([['migrate', ['migrate']]]);
      expect(pod.containers.map((c) => [c.name, c.args])).toEqual([['topics', ['topics']]]);
      // No ServiceAccount of the release: on a first install it does not exist yet when hooks run.
      expect(pod.serviceAccountName).toBeUndefined();
      const weight = (m: Manifest) => Number(m.metadata.annotations?.['helm.sh/hook-weight'] ?? '0');
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        const refs = (c.envFrom ?? []).map((f) =>
          f.configMapRef ? (['ConfigMap', f.configMapRef.name] as const) : (['Secret', f.secretRef?.name] as const),
        );
        expect(refs.length).toBeGreaterThan(0);
        for (const [kind, name] of refs) {
          const source = ms.find((m) => m.kind === kind && m.metadata.name === name);
          if (source === undefined) {
            // Not rendered: the operator's own Secret, which exists before the release.
            expect(values).toBe(PRODUCTION);
            expect(Object.keys(PRODUCTION_SECRETS)).toContain(name);
          } else {
            // Rendered: then a hook itself, created before the Job.
            expect(hooks(source)).toContain('pre-install');
            expect(hooks(source)).toContain('pre-upgrade');
            expect(weight(source)).toBeLessThan(weight(jobManifest));
          }
        }
        const env = environmentOf(ms, c, PRODUCTION_SECRETS);
        expect(env['NODE_ENV']).toBe('production');
        expect(() => baseConfigSchema.parse(env)).not.toThrow();
      }
    });

    it('starts every service with a configuration its own schema accepts in production mode', () => {
      const ms = rendered(values);
      for (const service of SERVICES) {
        const env = environmentOf(ms, mainContainer(deploymentOf(ms, service)), PRODUCTION_SECRETS);
        expect(env).toMatchObject({
          MERIDIAN_SERVICE: service,
          NODE_ENV: 'production',
          HOST: '0.0.0.0',
          METRICS_PORT: '9464',
          OTEL_SERVICE_NAME: `meridian-${service}`,
        });
        const parsed = SCHEMAS[service].safeParse(env);
        expect({ service, issues: parsed.success ? [] : parsed.error.issues }).toEqual({ service, issues: [] });
        const config = parsed.data ?? {};
        // The refusals of development secrets that run at start, past the schema.
        expect(() => secretsKeyOf(baseConfigSchema.parse(env))).not.toThrow();
        if (service === 'gateway') expect(() => settingsOf(gatewayConfigSchema.parse(env))).not.toThrow();
        if (service === 'identity') {
          const identity = identityConfigSchema.parse(env);
          expect(() => bootstrapAccountsOf(identity)).not.toThrow();
          expect(() => oidcSettingsOf(identity)).not.toThrow();
        }
        expect(Object.keys(config).length).toBeGreaterThan(0);
      }
    });

    it('sets only environment variables the project declares, and never WEBHOOKS_ALLOW_LOOPBACK=true', () => {
      const ms = rendered(values);
      const containers = [
        ...SERVICES.map((s) => mainContainer(deploymentOf(ms, s))),
        ...ofKind(ms, 'Job').flatMap((j) => {
          const pod = podSpecOf(as<IJob>(j));
          return [...(pod.initContainers ?? []), ...pod.containers];
        }),
      ];
      for (const c of containers) {
        const undeclared = envNamesOf(ms, c).filter((n) => !DECLARED.has(n) && !DECLARED_ELSEWHERE.has(n));
        expect({ container: c.name, undeclared }).toEqual({ container: c.name, undeclared: [] });
        expect(environmentOf(ms, c, PRODUCTION_SECRETS)['WEBHOOKS_ALLOW_LOOPBACK'] ?? 'false').not.toBe('true');
      }
      for (const m of [...ofKind(ms, 'ConfigMap'), ...ofKind(ms, 'Secret')]) {
        const data = sourceData(ms, m.kind === 'Secret' ? 'Secret' : 'ConfigMap', m.metadata.name) ?? {};
        expect(data['WEBHOOKS_ALLOW_LOOPBACK'] ?? 'false').not.toBe('true');
      }
    });

    it('ships the dashboards in dashboards/*.json as a ConfigMap for the Grafana sidecar', () => {
      const ms = rendered(values);
      const dashboardsDir = join(CHART, 'dashboards');
      const files = existsSync(dashboardsDir) ? readdirSync(dashboardsDir).filter((f) => f.endsWith('.json')) : [];
      const labelled = ofKind(ms, 'ConfigMap').filter(
        (m) => (m as { metadata: { labels?: Record<string, string> } }).metadata.labels?.['grafana_dashboard'] === '1',
      );
      if (files.length === 0) {
        expect(labelled).toEqual([]);
        return;
      }
      expect(labelled).toHaveLength(1);
      const data = as<IConfigMap>(labelled[0]).data ?? {};
      expect(Object.keys(data).sort()).toEqual(files.sort());
      for (const f of files) expect(data[f]).toBe(readFileSync(join(dashboardsDir, f), 'utf8').trimEnd());
    });
  });

  describe('default values (a development cluster)', () => {
    it('renders without any dashboard file (no ConfigMap for Grafana then), and none when switched off', () => {
      const copy = join(dir, 'meridian');
      cpSync(CHART, copy, { recursive: true, filter: (src) => !src.startsWith(join(CHART, 'dashboards')) });
      expect(existsSync(join(copy, 'dashboards'))).toBe(false);
      const bare = template(DEFAULT, copy);
      expect(bare.status).toBe(0);
      const ms = manifestsOf(bare.rendered ?? '');
      for (const m of ms) validateManifest(m);
      const withDashboards = rendered(DEFAULT);
      const dashboardMaps = (list: readonly Manifest[]) =>
        ofKind(list, 'ConfigMap').filter((m) => m.metadata.name === 'meridian-dashboards');
      expect(dashboardMaps(ms)).toEqual([]);
      expect(ms.length).toBe(withDashboards.length - dashboardMaps(withDashboards).length);
      const off = template(file('no-dashboards.yaml', 'grafana:\n  dashboards:\n    enabled: false\n'));
      expect(dashboardMaps(manifestsOf(off.rendered ?? ''))).toEqual([]);
    });

    it('generates the secrets at the first install only: not on upgrade, and a reinstall stops', () => {
      const ms = rendered(DEFAULT);
      const generated = one(ms, 'Secret', 'meridian-generated');
      expect(generated.metadata.annotations?.['helm.sh/hook']).toBe('pre-install');
      // A reinstall must fail with "already exists", not delete the Secret and make a new
      // SECRETS_KEY: an explicit policy without before-hook-creation, and kept on uninstall.
      expect(generated.metadata.annotations?.['helm.sh/hook-delete-policy']).toBe('hook-failed');
      expect(effectiveHookDeletePolicies(generated)).not.toContain('before-hook-creation');
      expect(generated.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
      // Without the annotation, Helm's default would apply, and the check above would catch it.
      const { 'helm.sh/hook-delete-policy': _dropped, ...others } = generated.metadata.annotations ?? {};
      expect(_dropped).toBe('hook-failed');
      const unannotated: Manifest = { ...generated, metadata: { ...generated.metadata, annotations: others } };
      expect(effectiveHookDeletePolicies(unannotated)).toEqual(['before-hook-creation']);
      const data = sourceData(ms, 'Secret', 'meridian-generated') ?? {};
      expect(Buffer.from(String(data['SECRETS_KEY']), 'base64')).toHaveLength(32);
      // Each Deployment reads it, before the Secret of values (which wins).
      const refs = (mainContainer(deploymentOf(ms, 'identity')).envFrom ?? []).map(
        (f) => f.secretRef?.name ?? f.configMapRef?.name,
      );
      expect(refs).toEqual(['meridian', 'meridian-generated', 'meridian']);
    });

    it('mounts the exports volume (ReadWriteMany) in the gateway and geo-query only', () => {
      const ms = rendered(DEFAULT);
      const pvc = one(ms, 'PersistentVolumeClaim', 'meridian-exports') as Manifest & {
        spec: { accessModes: string[] };
      };
      expect(pvc.spec.accessModes).toEqual(['ReadWriteMany']);
      for (const service of SERVICES) {
        const mount = mainContainer(deploymentOf(ms, service)).volumeMounts?.find((m) => m.name === 'exports');
        const env = environmentOf(ms, mainContainer(deploymentOf(ms, service)), {});
        if (service === 'gateway' || service === 'geo-query') {
          expect(mount?.mountPath).toBe(env['EXPORTS_DIR']);
        } else {
          expect(mount).toBeUndefined();
        }
      }
    });

    it('uses an existing claim instead of creating one (exports.persistence.existingClaim)', () => {
      const run = template(file('existing-claim.yaml', 'exports:\n  persistence:\n    existingClaim: shared-rwx\n'));
      expect(run.status).toBe(0);
      const ms = manifestsOf(run.rendered ?? '');
      validateAll(ms);
      expect(ofKind(ms, 'PersistentVolumeClaim')).toEqual([]);
      const claims = (service: ServiceName) =>
        (podSpecOf(deploymentOf(ms, service)).volumes ?? []).flatMap((v) =>
          v.persistentVolumeClaim ? [`${v.name}:${v.persistentVolumeClaim.claimName}`] : [],
        );
      for (const service of SERVICES) {
        const mounts = service === 'gateway' || service === 'geo-query';
        expect(claims(service)).toEqual(mounts ? ['exports:shared-rwx'] : []);
      }
    });

    it('renders a PodMonitor only when asked, checked structurally and counted apart from Kubernetes kinds', () => {
      expect(ofKind(rendered(DEFAULT), 'PodMonitor')).toEqual([]);
      const run = template(
        file(
          'pod-monitor.yaml',
          [
            'metrics:',
            '  podMonitor:',
            '    enabled: true',
            '    labels:',
            '      release: kube-prometheus-stack',
            '    interval: 30s',
            '',
          ].join('\n'),
        ),
      );
      expect(run.status).toBe(0);
      const ms = manifestsOf(run.rendered ?? '');
      const counts = validateAll(ms);
      expect(counts).toEqual({ kubernetes: ms.length - 1, structural: 1 });
      process.stdout.write(
        `[helm] validated ${counts.kubernetes} manifests + ${counts.structural} PodMonitor ` +
          `structurally (metrics.podMonitor.enabled)\n`,
      );
      const monitor = one(ms, 'PodMonitor', 'meridian') as Manifest & {
        metadata: { labels?: Record<string, string> };
        spec: {
          selector: { matchLabels: Record<string, string> };
          podMetricsEndpoints: { port: string; path: string; honorLabels?: boolean; interval?: string }[];
        };
      };
      expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
      expect(monitor.metadata.labels?.['release']).toBe('kube-prometheus-stack');
      expect(monitor.spec.podMetricsEndpoints).toHaveLength(1);
      const [endpoint] = monitor.spec.podMetricsEndpoints;
      // Meridian's own `service` label (the dashboard filters on it) wins over any target label.
      expect(endpoint).toEqual({ port: 'metrics', path: '/metrics', honorLabels: true, interval: '30s' });
      for (const service of SERVICES) {
        const d = deploymentOf(ms, service);
        expect(selects(monitor.spec.selector, d.spec?.template.metadata?.labels ?? {})).toBe(true);
        // The endpoint names the container port that serves METRICS_PORT.
        const env = environmentOf(ms, mainContainer(d), {});
        const port = (mainContainer(d).ports ?? []).find((p) => p.name === endpoint.port);
        expect(port?.containerPort).toBe(Number(env['METRICS_PORT']));
      }
      // Structural means checked: a misspelt field fails, and any other unknown kind still does.
      const misspelt = { ...monitor, spec: { ...monitor.spec, podMetricEndpoints: monitor.spec.podMetricsEndpoints } };
      expect(() => validateManifest(misspelt)).toThrow(/PodMonitor meridian/);
      const serviceMonitor: Manifest = { ...monitor, kind: 'ServiceMonitor' };
      expect(() => validateManifest(serviceMonitor)).toThrow(/no schema for this kind/);
    });
  });

  describe('values-production.yaml (managed infrastructure)', () => {
    it('renders no secret: every one comes from the operator’s Secrets', () => {
      const ms = rendered(PRODUCTION);
      expect(ofKind(ms, 'Secret')).toEqual([]);
      const text = JSON.stringify(ms);
      for (const secret of Object.values(PRODUCTION_SECRETS).flatMap((s) => Object.values(s))) {
        expect(text).not.toContain(secret);
      }
      const config = sourceData(ms, 'ConfigMap', 'meridian') ?? {};
      expect(new URL(String(config['DATABASE_URL'])).password).toBe('');
      expect(config['REDIS_URL']).toBeUndefined();
      expect(config['KAFKA_SASL_PASSWORD']).toBeUndefined();
      // And the plain-text secrets production values could hold are empty (existingSecret instead).
      const values = parse(readFileSync(PRODUCTION, 'utf8')) as {
        secrets: Mapping;
        postgresql: Mapping;
        kafka: { sasl: Mapping };
      };
      expect(values.secrets['existingSecret']).toBe('meridian-secrets');
      for (const key of ['secretsKey', 'platformClientSecret', 'bootstrapAdminSecret', 'cookieKeys']) {
        expect(values.secrets[key]).toBeUndefined();
      }
      expect(values.postgresql['password']).toBeUndefined();
      expect(values.kafka.sasl['password']).toBeUndefined();
    });

    it('reaches Kafka over TLS with SASL and PostgreSQL with verify-full, CA bundles mounted as files', () => {
      const ms = rendered(PRODUCTION);
      const c = mainContainer(deploymentOf(ms, 'projection'));
      const env = environmentOf(ms, c, PRODUCTION_SECRETS);
      expect(env).toMatchObject({
        KAFKA_SSL: 'true',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_PASSWORD: 'sample-kafka-password',
        PGPASSWORD: 'sample-pg-password',
      });
      const mounted = (c.volumeMounts ?? []).map((m) => m.mountPath);
      expect(mounted.some((p) => env['KAFKA_SSL_CA_FILE'].startsWith(`${p}/`))).toBe(true);
      const db = new URL(env['DATABASE_URL']);
      expect(db.searchParams.get('sslmode')).toBe('verify-full');
      expect(mounted.some((p) => (db.searchParams.get('sslrootcert') ?? '').startsWith(`${p}/`))).toBe(true);
      expect(env['REDIS_URL']).toMatch(/^rediss:\/\//);
    });

    it('has an HPA and a PodDisruptionBudget per service, and an ingress with TLS for both public hosts', () => {
      const ms = rendered(PRODUCTION);
      for (const service of SERVICES) {
        const d = deploymentOf(ms, service);
        const hpa = as<IHorizontalPodAutoscaler>(one(ms, 'HorizontalPodAutoscaler', `meridian-${service}`));
        expect(hpa.spec?.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata?.name });
        expect(hpa.spec?.metrics?.[0]?.resource?.name).toBe('cpu');
        expect(hpa.spec?.minReplicas ?? 0).toBeGreaterThanOrEqual(2);
        // The HPA owns the replica count: a fixed one would fight it on every upgrade.
        expect(d.spec?.replicas).toBeUndefined();
        const pdb = as<IPodDisruptionBudget>(one(ms, 'PodDisruptionBudget', `meridian-${service}`));
        expect(pdb.spec?.maxUnavailable).toBe(1);
        expect(selects(pdb.spec?.selector, d.spec?.template.metadata?.labels ?? {})).toBe(true);
      }
      const ingress = as<IIngress>(one(ms, 'Ingress', 'meridian'));
      const backends = (ingress.spec?.rules ?? []).map(
        (r) => `${r.host}->${r.http?.paths[0].backend.service?.name}:${r.http?.paths[0].backend.service?.port?.name}`,
      );
      expect(backends.sort()).toEqual([
        'api.meridian.example.com->meridian-gateway:http',
        'id.meridian.example.com->meridian-identity:oidc',
      ]);
      expect((ingress.spec?.tls ?? []).flatMap((t) => t.hosts ?? []).sort()).toEqual([
        'api.meridian.example.com',
        'id.meridian.example.com',
      ]);
      const config = sourceData(ms, 'ConfigMap', 'meridian') ?? {};
      expect(config['OIDC_ISSUER']).toBe('https://id.meridian.example.com');
      // No service calls another (the gateway reads identity's keys from Kafka), so the egress
      // allow-list has no peer among the release's pods.
      const egress = as<INetworkPolicy>(one(ms, 'NetworkPolicy', 'meridian-egress'));
      const peers = (egress.spec?.egress ?? []).flatMap((rule) => rule.to ?? []);
      expect(peers.length).toBeGreaterThan(0);
      for (const peer of peers) {
        for (const service of SERVICES) {
          const labels = deploymentOf(ms, service).spec?.template.metadata?.labels ?? {};
          const inRelease = peer.podSelector !== undefined && peer.namespaceSelector === undefined;
          expect({ service, reached: inRelease && selects(peer.podSelector, labels) }).toEqual({
            service,
            reached: false,
          });
        }
      }
      expect(config['OTEL_EXPORTER_OTLP_ENDPOINT']).toBe('http://otel-collector.observability.svc:4318');
    });

    it('refuses a secret in clear beside existingSecret', () => {
      const values = parse(readFileSync(PRODUCTION, 'utf8')) as { postgresql: Mapping };
      values.postgresql['password'] = 'in-clear-password';
      // Strings quoted: Helm reads YAML 1.1, where a plain `off` is a boolean.
      const text = stringify(values, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' });
      const refused = template(file('production-clear-password.yaml', text));
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain('postgresql.password is set in values but secrets.existingSecret');
    });
  });

  describe('broken values', () => {
    it('refuses a grace period that the preStop sleep and the shutdown timeout would overrun', () => {
      const short = template(file('short-grace.yaml', 'terminationGracePeriodSeconds: 15\n'));
      expect(short.status).toBe(1);
      expect(short.stderr).toContain('terminationGracePeriodSeconds (15 s) must exceed preStopSleepSeconds (5 s)');
      const slow = template(file('slow-shutdown.yaml', 'config:\n  SHUTDOWN_TIMEOUT_MS: "25000"\n'));
      expect(slow.status).toBe(1);
      expect(slow.stderr).toContain('SHUTDOWN_TIMEOUT_MS (25000 ms)');
    });

    it('fails lint and template on a value of the wrong type (values.schema.json)', () => {
      const bad = file('wrong-type.yaml', 'services:\n  gateway:\n    replicaCount: two\n');
      const linted = lint(bad);
      expect(linted.status).toBe(1);
      expect(linted.errors.join('\n')).toContain('/services/gateway/replicaCount');
      const rendered = template(bad);
      expect(rendered.status).toBe(1);
      expect(rendered.stderr).toContain('/services/gateway/replicaCount');
    });

    it('fails on an unknown setting (a typo) and on WEBHOOKS_ALLOW_LOOPBACK=true', () => {
      const typo = template(file('typo.yaml', 'postgressql:\n  host: db\n'));
      expect(typo.status).toBe(1);
      expect(typo.stderr).toContain('postgressql');
      const loopback = template(file('loopback.yaml', 'config:\n  WEBHOOKS_ALLOW_LOOPBACK: "true"\n'));
      expect(loopback.status).toBe(1);
      expect(loopback.stderr).toContain('WEBHOOKS_ALLOW_LOOPBACK=true is for development only');
      const perService = template(
        file('loopback-service.yaml', 'services:\n  projection:\n    env:\n      WEBHOOKS_ALLOW_LOOPBACK: true\n'),
      );
      expect(perService.status).toBe(1);
    });
  });
});
