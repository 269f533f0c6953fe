import 'reflect-metadata';
import { Controller, Get, Module, Post } from '@nestjs/common';
import { DiscoveryModule, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { describe, expect, it } from '@jest/globals';
import { RouteCoverage } from './route-coverage';
import { Authenticated, Public, RequirePermission } from './route-access';

@Controller('health')
class Probes {
  @Get('live')
  live(): string {
    return 'ok';
  }
}

@Controller('v1/things')
@RequirePermission('assets:read')
class Things {
  @Get()
  list(): string[] {
    return [];
  }

  @Post()
  @RequirePermission('assets:write')
  add(): void {}
}

@Controller('ogc')
class Documents {
  @Get()
  @Authenticated()
  landing(): string {
    return 'landing';
  }

  @Get('conformance')
  @Public()
  conformance(): string {
    return 'conformance';
  }

  /** Not a route: needs nothing. */
  helper(): number {
    return 1;
  }
}

@Controller('v1/forgotten')
class Forgotten {
  @Get(':id')
  get(): string {
    return 'x';
  }
}

@Controller('v1/open')
class WronglyPublic {
  @Get()
  @Public()
  open(): string {
    return 'x';
  }
}

async function problemsOf(...controllers: (new () => unknown)[]): Promise<string[]> {
  @Module({ imports: [DiscoveryModule], controllers, providers: [RouteCoverage] })
  class Probe {}
  const app = await NestFactory.create(Probe, new FastifyAdapter(), { logger: false, abortOnError: false });
  try {
    return app.get(RouteCoverage).problems();
  } finally {
    await app.close();
  }
}

describe('RouteCoverage', () => {
  it('accepts routes that each say who may call them, and the health probes without a rule', async () => {
    expect(await problemsOf(Probes, Things, Documents)).toEqual([]);
  });

  it('names every route without a rule, and a @Public route off the public paths', async () => {
    expect(await problemsOf(Things, Forgotten, WronglyPublic)).toEqual([
      'Forgotten.get (/v1/forgotten/:id): no access rule',
      'WronglyPublic.open (/v1/open): @Public() off the public paths',
    ]);
  });

  it('stops the application from starting while a route has no rule', async () => {
    @Module({ imports: [DiscoveryModule], controllers: [Things, Forgotten], providers: [RouteCoverage] })
    class Gateway {}
    const app = await NestFactory.create(Gateway, new FastifyAdapter(), { logger: false, abortOnError: false });
    await expect(app.init()).rejects.toThrow(/Forgotten\.get/);
    await app.close().catch(() => undefined);
  });
});
