/**
 * The container image's entry point (`ENTRYPOINT ["node", "dist/server/tools/meridian.js"]`): one
 * image, its role chosen by the first argument or else MERIDIAN_SERVICE.
 *
 *   gateway | identity | workflow | projection | geo-query   a long-running service
 *   migrate        read-model migrations (one-shot; the chart's pre-install/pre-upgrade Job)
 *   topics         every Kafka topic and DLQ (one-shot; KAFKA_TOPIC_REPLICATION_FACTOR)
 *   dlq ARGS       list|replay <topic> (docs/runbook.md)
 *   projections ARGS  rebuild <read-model> (docs/runbook.md)
 *   healthcheck    exit 0 when MERIDIAN_SERVICE answers /health/live (the image's HEALTHCHECK)
 *
 * Each module is required only for its role, so a one-shot job loads no service and a service
 * loads no tool. Runs compiled (plain `node`) in the image and through the loader in a checkout.
 */
import { readFileSync } from 'node:fs';
import { devDatabaseUrl } from './env';

export const SERVICE_ROLES = ['gateway', 'identity', 'workflow', 'projection', 'geo-query'] as const;
export const TOOL_ROLES = ['migrate', 'topics', 'dlq', 'projections', 'healthcheck'] as const;
export type Role = (typeof SERVICE_ROLES)[number] | (typeof TOOL_ROLES)[number];

/** The health port of each service: its setting and the default its config schema gives. */
export const HEALTH_PORTS: Readonly<Record<(typeof SERVICE_ROLES)[number], { env: string; port: number }>> = {
  gateway: { env: 'GATEWAY_PORT', port: 8080 },
  identity: { env: 'IDENTITY_HTTP_PORT', port: 8081 },
  workflow: { env: 'WORKFLOW_HTTP_PORT', port: 8082 },
  projection: { env: 'PROJECTION_HTTP_PORT', port: 8083 },
  'geo-query': { env: 'GEO_QUERY_HTTP_PORT', port: 8084 },
};

const isService = (name: string): name is (typeof SERVICE_ROLES)[number] =>
  (SERVICE_ROLES as readonly string[]).includes(name);

export function roleOf(argv: readonly string[], env: NodeJS.ProcessEnv): { role: Role; args: string[] } {
  const [first, ...rest] = argv;
  const name = first ?? env.MERIDIAN_SERVICE;
  if (!name)
    throw new Error(`no role: give one of ${[...SERVICE_ROLES, ...TOOL_ROLES].join(', ')} or MERIDIAN_SERVICE`);
  if (!isService(name) && !(TOOL_ROLES as readonly string[]).includes(name)) {
    throw new Error(`unknown role "${name}": one of ${[...SERVICE_ROLES, ...TOOL_ROLES].join(', ')}`);
  }
  return { role: name as Role, args: first === undefined ? [] : rest };
}

/**
 * The service a container runs, for its health check: MERIDIAN_SERVICE, else the role argument of
 * the container's main process (`docker run meridian gateway` sets no variable; the check runs as
 * another process, so it reads PID 1's command line).
 */
export function containerService(env: NodeJS.ProcessEnv, pid1CommandLine: () => string): string {
  if (env.MERIDIAN_SERVICE) return env.MERIDIAN_SERVICE;
  let argv: string[];
  try {
    argv = pid1CommandLine().split('\0').filter(Boolean);
  } catch {
    return '';
  }
  const entry = argv.findIndex((a) => /(^|\/)meridian\.js$/.test(a));
  return entry >= 0 ? (argv[entry + 1] ?? '') : '';
}

/** 0 when the service answers /health/live within 3 s, else 1 (Docker's HEALTHCHECK contract). */
export async function healthcheck(
  env: NodeJS.ProcessEnv,
  pid1CommandLine: () => string = () => readFileSync('/proc/1/cmdline', 'utf8'),
): Promise<number> {
  const service = containerService(env, pid1CommandLine);
  if (!isService(service)) {
    process.stderr.write(
      `healthcheck: no service to check ("${service}"): set MERIDIAN_SERVICE or run a service role\n`,
    );
    return 1;
  }
  const { env: portEnv, port } = HEALTH_PORTS[service];
  try {
    const res = await fetch(`http://127.0.0.1:${env[portEnv] ?? port}/health/live`, {
      signal: AbortSignal.timeout(3000),
    });
    return res.status === 200 ? 0 : 1;
  } catch {
    return 1;
  }
}

const SERVICE_MAINS: Readonly<Record<(typeof SERVICE_ROLES)[number], () => Promise<unknown>>> = {
  gateway: () => import('../apps/gateway/src/main'),
  identity: () => import('../apps/identity/src/main'),
  workflow: () => import('../apps/workflow/src/main'),
  projection: () => import('../apps/projection/src/main'),
  'geo-query': () => import('../apps/geo-query/src/main'),
};

async function run(): Promise<void> {
  const { role, args } = roleOf(process.argv.slice(2), process.env);
  if (isService(role)) {
    // Importing a service's main module starts it (its `main(...)` call).
    process.env.MERIDIAN_SERVICE = role;
    await SERVICE_MAINS[role]();
    return;
  }
  switch (role) {
    case 'migrate': {
      const { migrateReadModels } = await import('./migrate');
      const applied = await migrateReadModels(devDatabaseUrl());
      process.stdout.write(`[migrate] ${applied.length ? applied.join(', ') : 'read models up to date'}\n`);
      return;
    }
    case 'topics':
      return (await import('./create-topics')).createTopics();
    case 'dlq':
      return (await import('./dlq')).dlq(args);
    case 'projections':
      process.exitCode = await (await import('./projections')).projectionsCli(args);
      return;
    case 'healthcheck':
      process.exitCode = await healthcheck(process.env);
      return;
  }
}

if (require.main === module) {
  run().catch((err: unknown) => {
    process.stderr.write(`[meridian] ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
