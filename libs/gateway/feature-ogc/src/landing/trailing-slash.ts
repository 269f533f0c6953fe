import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';

/**
 * `/ogc/` answers 301 → `/ogc` (query kept). OGC clients are given a base URL and often add a
 * slash (the OGC test suite is configured with `…/ogc/`); Nest folds both paths into one route,
 * so the slashed one is a plain Fastify route. The Location is relative: behind a proxy it stays there.
 */
@Injectable()
export class TrailingSlashRedirect implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    fastify.get('/ogc/', (request, reply) => {
      const q = request.url.indexOf('?');
      void reply.redirect(q >= 0 ? `/ogc${request.url.slice(q)}` : '/ogc', 301);
    });
  }
}
