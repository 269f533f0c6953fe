/**
 * The image's entry point (tools/meridian.ts): which role runs, and what its HEALTHCHECK checks —
 * including a container started as `docker run meridian gateway`, whose health check (another
 * process) finds the role on PID 1's command line, not in MERIDIAN_SERVICE.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { containerService, healthcheck, roleOf } from '../../tools/meridian';

const cmdline =
  (...argv: string[]) =>
  () =>
    `${argv.join('\0')}\0`;

describe('the image entry point', () => {
  it('takes the role from the first argument, else MERIDIAN_SERVICE, and refuses anything else', () => {
    expect(roleOf(['gateway'], {})).toEqual({ role: 'gateway', args: [] });
    expect(roleOf(['dlq', 'list', 'meridian.telemetry.positions'], { MERIDIAN_SERVICE: 'workflow' })).toEqual({
      role: 'dlq',
      args: ['list', 'meridian.telemetry.positions'],
    });
    expect(roleOf([], { MERIDIAN_SERVICE: 'geo-query' })).toEqual({ role: 'geo-query', args: [] });
    expect(() => roleOf([], {})).toThrow('no role');
    expect(() => roleOf(['nonsense'], {})).toThrow('unknown role "nonsense"');
  });

  it('finds the service a container runs: MERIDIAN_SERVICE first, else PID 1’s role argument', () => {
    const pid1 = cmdline('node', 'dist/server/tools/meridian.js', 'projection');
    expect(containerService({ MERIDIAN_SERVICE: 'workflow' }, pid1)).toBe('workflow');
    expect(containerService({}, pid1)).toBe('projection');
    expect(containerService({}, cmdline('/usr/local/bin/node', '/app/dist/server/tools/meridian.js', 'gateway'))).toBe(
      'gateway',
    );
    expect(containerService({}, cmdline('node', 'dist/server/tools/meridian.js'))).toBe('');
    expect(containerService({}, cmdline('sh', '-c', 'sleep 1'))).toBe('');
    expect(
      containerService({}, () => {
        throw new Error('ENOENT');
      }),
    ).toBe('');
  });

  describe('healthcheck', () => {
    let status = 200;
    let server: Server;
    let port = 0;
    beforeAll(async () => {
      server = createServer((req, res) => {
        res.statusCode = req.url === '/health/live' ? status : 404;
        res.end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('is 0 when the role found on PID 1’s command line answers /health/live on its port, else 1', async () => {
      // Port 1: nothing listens there, so a check of workflow reaches no service.
      const env = { GATEWAY_PORT: String(port), WORKFLOW_HTTP_PORT: '1' };
      const asGateway = cmdline('node', 'dist/server/tools/meridian.js', 'gateway');
      status = 200;
      expect(await healthcheck(env, asGateway)).toBe(0);
      status = 503;
      expect(await healthcheck(env, asGateway)).toBe(1);
      // Another service's check goes to that service's port, where nothing answers.
      status = 200;
      expect(await healthcheck(env, cmdline('node', 'dist/server/tools/meridian.js', 'workflow'))).toBe(1);
      // A one-shot role has no health to check.
      expect(await healthcheck(env, cmdline('node', 'dist/server/tools/meridian.js', 'migrate'))).toBe(1);
    });
  });
});
