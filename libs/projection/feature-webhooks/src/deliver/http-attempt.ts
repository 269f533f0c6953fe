import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { VettedAddress } from './target-guard';

export interface HttpAttempt {
  readonly url: URL;
  /** The address the guard checked: the connection goes there and nowhere else. */
  readonly vetted: VettedAddress;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
  /** Response bytes read at most (then the connection is dropped); the body is discarded. */
  readonly maxResponseBytes: number;
}

export interface HttpOutcome {
  /** The response status; null when none came (refused, reset, timeout). */
  readonly status: number | null;
  /** Why it failed, in words; null for a 2xx. */
  readonly error: string | null;
  readonly durationMs: number;
}

/** Keep-alive agents: an endpoint taking many deliveries keeps its connections. */
const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 16, timeout: 60_000 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 16, timeout: 60_000 }),
};

/**
 * A lookup that answers the vetted address whatever it is asked: the Host header and TLS SNI stay
 * the URL's name, while the socket goes to the address the SSRF guard approved. Node asks with
 * `all: true` when it tries families in turn (autoSelectFamily), and without otherwise.
 */
function pinnedLookup(vetted: VettedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) {
      (callback as unknown as (err: null, addresses: { address: string; family: number }[]) => void)(null, [
        { address: vetted.address, family: vetted.family },
      ]);
    } else {
      callback(null, vetted.address, vetted.family);
    }
  };
}

const describeError = (err: unknown): string => {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : null;
  const message = typeof e.message === 'string' ? e.message : String(err);
  return (code && !message.includes(code) ? `${code}: ${message}` : message).slice(0, 500);
};

/**
 * One POST: resolves (never rejects) with the status or the failure. The whole exchange — connect,
 * send, response headers and the capped body — must end within `timeoutMs`.
 */
export function postOnce(attempt: HttpAttempt): Promise<HttpOutcome> {
  const started = performance.now();
  const elapsed = (): number => Math.max(0, Math.round(performance.now() - started));
  return new Promise<HttpOutcome>((resolve) => {
    let settled = false;
    const finish = (status: number | null, error: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ status, error, durationMs: elapsed() });
    };
    const secure = attempt.url.protocol === 'https:';
    const body = Buffer.from(attempt.body, 'utf8');
    const hostname = attempt.url.hostname.replace(/^\[(.*)\]$/, '$1');
    const request = (secure ? https : http).request({
      protocol: attempt.url.protocol,
      hostname,
      port: attempt.url.port || (secure ? 443 : 80),
      path: `${attempt.url.pathname}${attempt.url.search}`,
      method: 'POST',
      agent: secure ? agents.https : agents.http,
      lookup: pinnedLookup(attempt.vetted),
      headers: { ...attempt.headers, 'content-length': String(body.length) },
    });
    const timer = setTimeout(() => {
      finish(null, `no answer within ${attempt.timeoutMs} ms`);
      request.destroy();
    }, attempt.timeoutMs);
    request.on('error', (err) => finish(null, describeError(err)));
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      let read = 0;
      const done = (): void => finish(status, status >= 200 && status < 300 ? null : `the endpoint answered ${status}`);
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > attempt.maxResponseBytes) {
          done();
          response.destroy();
        }
      });
      response.on('end', done);
      response.on('error', (err) => (settled ? undefined : finish(status, describeError(err))));
      response.on('close', done);
    });
    request.end(body);
  });
}
