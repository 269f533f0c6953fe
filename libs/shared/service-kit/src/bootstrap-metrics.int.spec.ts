import 'reflect-metadata';
import { createServer } from 'node:net';
import { Controller, Get, Injectable, Module, type OnModuleInit, Param } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { afterEach, describe, expect, it } from '@jest/globals';
import { parseExposition, valueOf } from '@meridian/shared/metrics';
import { createTestBus } from '@meridian/shared/testing';
import { silentLog } from '@meridian/shared/util';
import pino from 'pino';
import { bootstrap } from './bootstrap';
import { baseConfigSchema, loadConfig } from './config';
import { BUS } from './tokens';

@Controller('things')
class ThingsController {
  @Get(':id')
  thing(@Param('id') id: string): { id: string } {
    return { id };
  }
}

@Module({
  controllers: [ThingsController],
  providers: [{ provide: BUS, useFactory: () => createTestBus('bootstrap-metrics', silentLog) }],
})
class ThingsModule {}

@Injectable()
class FailingInit implements OnModuleInit {
  onModuleInit(): void {
    throw new Error('init failed');
  }
}

/** A service whose module init fails (a migration that cannot run, say). */
@Module({
  providers: [{ provide: BUS, useFactory: () => createTestBus('bootstrap-metrics', silentLog) }, FailingInit],
})
class FailingModule {}

/** Whether `port` can be bound on 127.0.0.1 right now (it is released again at once). */
const portFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** bootstrap's `/metrics`: on the service's port, or only on METRICS_PORT when that is set. */
describe('bootstrap: /metrics and METRICS_PORT', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  const boot = async (
    service: string,
    port: number,
    env: Record<string, string> = {},
    root: unknown = ThingsModule,
    configure?: () => void,
  ): Promise<void> => {
    const config = loadConfig(baseConfigSchema, { LOG_LEVEL: 'silent', ...env });
    app = await bootstrap(root, { service, port, config, logger: pino({ level: 'silent' }), configure });
  };

  it('serves /metrics on the service port, with requests timed by route pattern', async () => {
    const service = `kit-${process.pid}-a`;
    await boot(service, 27081);
    expect((await fetch('http://127.0.0.1:27081/things/42')).status).toBe(200);
    expect((await fetch('http://127.0.0.1:27081/things/43')).status).toBe(200);
    expect((await fetch('http://127.0.0.1:27081/no/such/route')).status).toBe(404);
    const res = await fetch('http://127.0.0.1:27081/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const samples = parseExposition(await res.text());
    const count = 'meridian_http_request_duration_seconds_count';
    // Both ids under one series: the route's pattern, never the URL.
    expect(valueOf(samples, count, { service, method: 'GET', route: '/things/:id', status: '200' })).toBe(2);
    expect(valueOf(samples, count, { service, route: 'unmatched', status: '404' })).toBe(1);
    expect(samples.some((s) => s.labels['route']?.includes('42'))).toBe(false);
  });

  it('never serves /metrics on a public port in production without METRICS_PORT (the gateway’s API)', async () => {
    const service = `kit-${process.pid}-p`;
    const config = loadConfig(baseConfigSchema, { LOG_LEVEL: 'silent', NODE_ENV: 'production' });
    const logger = pino({ level: 'silent' });
    app = await bootstrap(ThingsModule, { service, port: 27085, config, logger, publicPort: true });
    expect((await fetch('http://127.0.0.1:27085/things/1')).status).toBe(200);
    expect((await fetch('http://127.0.0.1:27085/metrics')).status).toBe(404);
    await app.close();
    // A port that is not public (an internal service's) serves it in production.
    app = await bootstrap(ThingsModule, { service, port: 27086, config, logger });
    expect((await fetch('http://127.0.0.1:27086/metrics')).status).toBe(200);
  });

  it('with METRICS_PORT: /metrics only there, 404 on the service port; the listener closes with the app', async () => {
    const service = `kit-${process.pid}-b`;
    await boot(service, 27082, { METRICS_PORT: '27091' });
    expect((await fetch('http://127.0.0.1:27082/things/7')).status).toBe(200);
    expect((await fetch('http://127.0.0.1:27082/metrics')).status).toBe(404);
    const res = await fetch('http://127.0.0.1:27091/metrics');
    expect(res.status).toBe(200);
    const samples = parseExposition(await res.text());
    const count = 'meridian_http_request_duration_seconds_count';
    expect(valueOf(samples, count, { service, route: '/things/:id', status: '200' })).toBe(1);
    // The 404 of /metrics on the service port is a request like any other: counted, unmatched.
    expect(valueOf(samples, count, { service, route: 'unmatched', status: '404' })).toBe(1);
    await app?.close();
    app = undefined;
    await expect(fetch('http://127.0.0.1:27091/metrics')).rejects.toThrow();
  });

  it('a boot that fails in configure or init leaves METRICS_PORT free: a retry in the process binds it', async () => {
    const service = `kit-${process.pid}-c`;
    const env = { METRICS_PORT: '27092' };
    await expect(
      boot(service, 27083, env, ThingsModule, () => {
        throw new Error('configure failed');
      }),
    ).rejects.toThrow('configure failed');
    expect(await portFree(27092)).toBe(true);
    await expect(boot(service, 27083, env, FailingModule)).rejects.toThrow('init failed');
    expect(await portFree(27092)).toBe(true);
    expect(await portFree(27083)).toBe(true);
    // The retry: the same ports, in the same process.
    await boot(service, 27083, env);
    expect((await fetch('http://127.0.0.1:27092/metrics')).status).toBe(200);
  });

  it('a METRICS_PORT already taken fails the boot and releases the service port', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(27093, '127.0.0.1', resolve));
    try {
      await expect(boot(`kit-${process.pid}-d`, 27084, { METRICS_PORT: '27093' })).rejects.toThrow(/EADDRINUSE/);
      expect(await portFree(27084)).toBe(true);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
