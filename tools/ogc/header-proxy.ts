/**
 * A loopback HTTP proxy that adds `Authorization` to every request, for clients that cannot send
 * a bearer token themselves, such as the OGC test suite. The caller gets the token (the proxy
 * never asks identity for one) and passes the header's value.
 * Links in responses name the gateway's public URL; the proxy rewrites them (bodies of text
 * types and `Location`) to its own origin, so a client that follows them stays behind it.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HeaderProxy {
  /** e.g. http://127.0.0.1:40123 */
  readonly url: string;
  close(): Promise<void>;
}

export interface HeaderProxyOptions {
  /** The gateway, e.g. http://127.0.0.1:8080. */
  readonly target: string;
  /** The origin links in responses carry (the gateway's public URL), if not `target`. */
  readonly publicUrl?: string;
  /**
   * The `Authorization` value every request gets, e.g. `Bearer eyJ…` (replacing any the client sent),
   * or a function giving the current one, so a run longer than a token's life renews it.
   */
  readonly authorization: string | (() => Promise<string>);
  readonly port?: number;
}

const TEXTUAL = /json|html|text|xml/i;

const readAll = (stream: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });

export async function startHeaderProxy(options: HeaderProxyOptions): Promise<HeaderProxy> {
  const target = new URL(options.target);
  const upstreamOrigin = new URL(options.publicUrl ?? options.target).origin;
  let ownOrigin = '';
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const headers: Record<string, string | string[] | undefined> = {
        ...req.headers,
        authorization:
          typeof options.authorization === 'string' ? options.authorization : await options.authorization(),
      };
      headers.host = target.host;
      // Uncompressed answers, so links in them can be rewritten.
      delete headers['accept-encoding'];
      const upstream = httpRequest(
        {
          protocol: target.protocol,
          hostname: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers,
        },
        (answer) => {
          void readAll(answer).then((raw) => {
            const type = String(answer.headers['content-type'] ?? '');
            const out = TEXTUAL.test(type)
              ? Buffer.from(raw.toString('utf8').split(upstreamOrigin).join(ownOrigin))
              : raw;
            const outHeaders = { ...answer.headers, 'content-length': String(out.length) };
            delete outHeaders['transfer-encoding'];
            if (typeof outHeaders.location === 'string') {
              outHeaders.location = outHeaders.location.split(upstreamOrigin).join(ownOrigin);
            }
            res.writeHead(answer.statusCode ?? 502, outHeaders);
            res.end(out);
          });
        },
      );
      upstream.on('error', (err) => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`proxy: ${err.message}`);
      });
      upstream.end(body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  ownOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: ownOrigin,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
