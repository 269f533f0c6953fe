/**
 * The chart checks' plumbing: infra/scripts/helm.sh (helm-java, no helm binary) for `helm lint` and
 * `helm template`, the rendered stream split into manifests, and each manifest checked against the
 * Kubernetes JSON schema of its kind (kubernetes-models 4.5.1) — or, for the one custom resource
 * the chart may render (the Prometheus Operator's PodMonitor, which kubernetes-models has no schema
 * for), against a structural schema of the fields the chart writes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, PersistentVolumeClaim, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';

export const ROOT = join(__dirname, '..', '..');
export const CHART = join(ROOT, 'k8s', 'meridian');
const HELM_SH = join(ROOT, 'infra', 'scripts', 'helm.sh');

export type Mapping = Record<string, unknown>;

export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly annotations?: Readonly<Record<string, string>> };
  readonly [key: string]: unknown;
}

export interface HelmRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function helm(args: readonly string[], timeoutMs: number): HelmRun {
  const run = spawnSync('bash', [HELM_SH, ...args], { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs });
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Downloads the helm-java jars on first use (a fresh machine fetches ~30 MB from Maven Central). */
export function ensureHelm(): void {
  const run = helm(['ensure'], 600_000);
  if (run.status !== 0) throw new Error(`helm.sh ensure failed (${run.status}):\n${run.stderr}`);
}

/** `helm lint` with the values file coalesced over the chart's values.yaml; lines of Helm's report. */
export function lint(valuesFile?: string): HelmRun & { readonly errors: string[] } {
  const run = helm(['lint', CHART, ...(valuesFile ? [valuesFile] : [])], 120_000);
  const errors = run.stdout.split('\n').filter((l) => l.startsWith('[ERROR]'));
  return { ...run, errors };
}

/** `helm template` (release and namespace `meridian`); the rendered text when it succeeded. */
export function template(valuesFile: string, chart = CHART): HelmRun & { readonly rendered?: string } {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-helm-'));
  try {
    const out = join(dir, 'rendered.yaml');
    const run = helm(['template', chart, valuesFile, out], 120_000);
    return run.status === 0 ? { ...run, rendered: readFileSync(out, 'utf8') } : run;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const isMapping = (v: unknown): v is Mapping => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every non-empty document of a rendered stream; a YAML error or a document without kind/name throws. */
export function manifestsOf(rendered: string): Manifest[] {
  const manifests: Manifest[] = [];
  for (const doc of parseAllDocuments(rendered)) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (!isMapping(value)) throw new Error(`a rendered document is not a mapping: ${JSON.stringify(value)}`);
    const { apiVersion, kind, metadata } = value;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !isMapping(metadata)) {
      throw new Error(`a rendered document has no apiVersion/kind/metadata: ${JSON.stringify(value).slice(0, 200)}`);
    }
    if (typeof metadata['name'] !== 'string') throw new Error(`${kind} without metadata.name`);
    manifests.push(value as Manifest);
  }
  return manifests;
}

/** A kubernetes-models class: its constructor takes the object, `validate()` throws on a schema violation. */
type ModelClass = new (data: Mapping) => { validate(): void };
const model = (ctor: unknown): ModelClass => ctor as ModelClass;

/** The kinds the chart may render, by `apiVersion/kind`; anything else is an error. */
const MODELS: ReadonlyMap<string, ModelClass> = new Map([
  ['apps/v1/Deployment', model(Deployment)],
  ['autoscaling/v2/HorizontalPodAutoscaler', model(HorizontalPodAutoscaler)],
  ['batch/v1/Job', model(Job)],
  ['networking.k8s.io/v1/Ingress', model(Ingress)],
  ['networking.k8s.io/v1/NetworkPolicy', model(NetworkPolicy)],
  ['policy/v1/PodDisruptionBudget', model(PodDisruptionBudget)],
  ['v1/ConfigMap', model(ConfigMap)],
  ['v1/PersistentVolumeClaim', model(PersistentVolumeClaim)],
  ['v1/Secret', model(Secret)],
  ['v1/Service', model(Service)],
  ['v1/ServiceAccount', model(ServiceAccount)],
]);

const labelMap = { type: 'object', additionalProperties: { type: 'string' } } as const;
const duration = { type: 'string', pattern: '^([0-9]+(ms|s|m|h))+$' } as const;

/**
 * monitoring.coreos.com/v1 PodMonitor, restricted to what the chart renders: a matchLabels selector
 * and endpoints by port name. Closed objects, so a misspelt field (which the real CRD would prune
 * silently) fails here; the real CRD's schema is not vendored.
 */
const POD_MONITOR_SCHEMA = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'monitoring.coreos.com/v1' },
    kind: { const: 'PodMonitor' },
    metadata: {
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: {
        name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 },
        namespace: { type: 'string', minLength: 1 },
        labels: labelMap,
        annotations: labelMap,
      },
    },
    spec: {
      type: 'object',
      required: ['selector', 'podMetricsEndpoints'],
      additionalProperties: false,
      properties: {
        selector: {
          type: 'object',
          required: ['matchLabels'],
          additionalProperties: false,
          properties: { matchLabels: { ...labelMap, minProperties: 1 } },
        },
        podMetricsEndpoints: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['port', 'path'],
            additionalProperties: false,
            properties: {
              port: { type: 'string', minLength: 1, maxLength: 15 },
              path: { type: 'string', pattern: '^/' },
              honorLabels: { type: 'boolean' },
              interval: duration,
              scrapeTimeout: duration,
            },
          },
        },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: true });

/** Custom resources checked structurally (no schema in kubernetes-models), by `apiVersion/kind`. */
const STRUCTURAL: ReadonlyMap<string, (m: Manifest) => string | undefined> = new Map([
  [
    'monitoring.coreos.com/v1/PodMonitor',
    (() => {
      const validate = ajv.compile(POD_MONITOR_SCHEMA);
      return (m: Manifest) => (validate(m) ? undefined : ajv.errorsText(validate.errors));
    })(),
  ],
]);

/** How a manifest was checked: the Kubernetes schema of its kind, or a structural one (a CRD). */
export type Validation = 'kubernetes' | 'structural';

/**
 * Validates against the Kubernetes schema of the manifest's apiVersion/kind, or the structural
 * schema of a known custom resource; throws naming the object, and on any other kind.
 */
export function validateManifest(m: Manifest): Validation {
  const key = `${m.apiVersion}/${m.kind}`;
  const Model = MODELS.get(key);
  if (Model === undefined) {
    const structural = STRUCTURAL.get(key);
    if (structural === undefined)
      throw new Error(`${m.apiVersion} ${m.kind} ${m.metadata.name}: no schema for this kind`);
    const problem = structural(m);
    if (problem !== undefined) throw new Error(`${m.kind} ${m.metadata.name}: ${problem}`);
    return 'structural';
  }
  try {
    new Model(m).validate();
  } catch (err) {
    throw new Error(`${m.kind} ${m.metadata.name}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return 'kubernetes';
}
