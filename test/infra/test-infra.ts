/**
 * Which infrastructure `npm test` runs on: the local scripts (infra/scripts: Kafka from Maven
 * Central jars, the machine's PostgreSQL and Redis) or Testcontainers (test/infra/containers.ts)
 * where a Docker daemon answers. `MERIDIAN_TEST_INFRA=local|containers` decides; unset (or `auto`),
 * containers only when a daemon really answers — an installed Docker CLI without a daemon, as on
 * these machines, keeps the local scripts.
 *
 * `node -r @swc-node/register test/infra/test-infra.ts` prints the choice (infra/scripts/test.sh).
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { join } from 'node:path';

export type TestInfra = 'local' | 'containers';

export const TEST_INFRA_VARIABLE = 'MERIDIAN_TEST_INFRA';

type Env = Readonly<Record<string, string | undefined>>;

export interface TestInfraOptions {
  readonly env: Env;
  /** Asked only when the environment leaves the choice open. */
  readonly dockerAvailable: () => Promise<boolean>;
}

/** An explicit MERIDIAN_TEST_INFRA wins; anything but local, containers or auto is an error. */
export async function chooseTestInfra({ env, dockerAvailable }: TestInfraOptions): Promise<TestInfra> {
  const value = (env[TEST_INFRA_VARIABLE] ?? '').trim();
  if (value === 'local' || value === 'containers') return value;
  if (value !== '' && value !== 'auto') {
    throw new Error(`${TEST_INFRA_VARIABLE} must be local, containers or auto (or unset), not "${value}"`);
  }
  return (await dockerAvailable()) ? 'containers' : 'local';
}

/** Where the Docker API listens: a unix socket, or TCP (TLS when DOCKER_TLS_VERIFY is set). */
export type DockerEndpoint =
  | { readonly kind: 'socket'; readonly socketPath: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly tls: boolean };

const DEFAULT_SOCKET = '/var/run/docker.sock';

/**
 * DOCKER_HOST as Docker's clients read it, else the default socket; undefined for the kinds not
 * probed here (ssh://, npipe://).
 */
export function dockerEndpoint(env: Env): DockerEndpoint | undefined {
  const host = env['DOCKER_HOST']?.trim();
  if (!host) return { kind: 'socket', socketPath: DEFAULT_SOCKET };
  if (host.startsWith('unix://')) return { kind: 'socket', socketPath: host.slice('unix://'.length) };
  if (host.startsWith('tcp://')) {
    const url = new URL(host.replace(/^tcp:/, 'http:'));
    const tls = Boolean(env['DOCKER_TLS_VERIFY']);
    return { kind: 'tcp', host: url.hostname, port: Number(url.port || (tls ? 2376 : 2375)), tls };
  }
  return undefined;
}

export interface DetectDockerOptions {
  readonly env?: Env;
  readonly timeoutMs?: number;
}

/**
 * True when a Docker daemon answers `GET /_ping` with 200 — not merely when the CLI or a socket
 * file exists (a stale socket, or a CLI with no daemon, is "no Docker").
 */
export function detectDocker({ env = process.env, timeoutMs = 2000 }: DetectDockerOptions = {}): Promise<boolean> {
  const endpoint = dockerEndpoint(env);
  if (endpoint === undefined) return Promise.resolve(false);
  const options: RequestOptions =
    endpoint.kind === 'socket'
      ? { socketPath: endpoint.socketPath, path: '/_ping' }
      : { host: endpoint.host, port: endpoint.port, path: '/_ping', ...tlsFiles(env, endpoint.tls) };
  const request = endpoint.kind === 'tcp' && endpoint.tls ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = request({ ...options, method: 'GET', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(res.statusCode === 200 && body.trim() === 'OK'));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Client certificates from DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem), as the Docker CLI reads them. */
function tlsFiles(env: Env, tls: boolean): Pick<RequestOptions, 'ca' | 'cert' | 'key'> {
  const dir = env['DOCKER_CERT_PATH'];
  if (!tls || !dir) return {};
  const read = (name: string): Buffer | undefined => {
    try {
      return readFileSync(join(dir, name));
    } catch {
      return undefined;
    }
  };
  return { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
}

/** Why the choice was made, for the log line of test.sh. */
export function describeChoice(env: Env, infra: TestInfra): string {
  const value = (env[TEST_INFRA_VARIABLE] ?? '').trim();
  if (value === 'local' || value === 'containers') return `${TEST_INFRA_VARIABLE}=${value}`;
  const endpoint = dockerEndpoint(env);
  const where = endpoint?.kind === 'socket' ? endpoint.socketPath : (env['DOCKER_HOST'] ?? 'DOCKER_HOST');
  return infra === 'containers' ? `a Docker daemon answers at ${where}` : `no Docker daemon answers at ${where}`;
}

if (require.main === module) {
  chooseTestInfra({ env: process.env, dockerAvailable: () => detectDocker() })
    .then((infra) => {
      process.stderr.write(`[test] test infrastructure: ${infra} (${describeChoice(process.env, infra)})\n`);
      process.stdout.write(`${infra}\n`);
    })
    .catch((err: unknown) => {
      process.stderr.write(`[test] ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    });
}
