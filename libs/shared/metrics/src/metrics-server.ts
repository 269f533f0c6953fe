import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServiceMetrics } from './service-metrics';

/** The path Prometheus scrapes, on the service's port or on METRICS_PORT. */
export const METRICS_PATH = '/metrics';

/**
 * A listener of its own for `/metrics` (METRICS_PORT): the scrape port can then be opened to the
 * monitoring namespace only, while the service's port (the gateway's is public) does not serve
 * metrics at all. Anything but GET /metrics is a 404. Port 0 picks a free port (tests).
 */
export async function serveMetrics(
  metrics: ServiceMetrics,
  port: number,
  host: string,
): Promise<{ readonly port: number; readonly close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== METRICS_PATH || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.scrape().then(
      ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive scrapers hold sockets open; the service is going away.
        server.closeAllConnections();
      }),
  };
}
