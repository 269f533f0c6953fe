import { describe, expect, it } from '@jest/globals';
import type { FastifyRequest } from 'fastify';
import { permissionsFor } from './permission.guard';
import { isPublicPath, pathOf } from './public-paths';
import { readPermissionOfParam, whenQueryHas } from './route-access';

const request = (params: Record<string, string>, query: Record<string, string> = {}): FastifyRequest =>
  ({ params, query }) as unknown as FastifyRequest;

describe('route permissions', () => {
  it('reads the permission of a tile layer or OGC collection from its path parameter', () => {
    const layer = readPermissionOfParam('layer');
    expect(layer(request({ layer: 'assets' }))).toBe('assets:read');
    expect(layer(request({ layer: 'zones' }))).toBe('zones:read');
    expect(layer(request({ layer: 'positions' }))).toBe('positions:read');
    // Unknown (the controller answers 404) or a prototype key: no permission, never a throw.
    expect(layer(request({ layer: 'weather' }))).toBeUndefined();
    expect(layer(request({ layer: 'constructor' }))).toBeUndefined();
    expect(layer(request({}))).toBeUndefined();
  });

  it('asks positions:read of a where-at-T list only', () => {
    const rules = ['assets:read' as const, whenQueryHas('at', 'positions:read')];
    expect(permissionsFor(rules, request({}))).toEqual(['assets:read']);
    expect(permissionsFor(rules, request({}, { at: '2025-06-01T00:00:00Z' }))).toEqual([
      'assets:read',
      'positions:read',
    ]);
  });
});

describe('public paths', () => {
  it.each([
    '/health/live',
    '/health/ready',
    '/docs',
    '/docs/',
    '/docs/swagger-ui.css',
    '/openapi.json',
    '/openapi.yaml',
    '/console',
    '/console/',
    '/console/config.json',
    '/console/assets/index-abc123.js',
  ])('%s needs no token', (path) => expect(isPublicPath(path)).toBe(true));

  it.each(['/ogc/conformance', '/ogc/api'])('%s (tenant-independent OGC document) needs no token', (path) =>
    expect(isPublicPath(path)).toBe(true),
  );

  it.each([
    '/v1/assets',
    '/ogc',
    '/ogc/',
    '/ogc/collections',
    '/internal/timings',
    '/healthz',
    '/docsx',
    '/ogc/api/x',
    '/consolex',
  ])('%s needs a token', (path) => expect(isPublicPath(path)).toBe(false));

  it('takes the path without its query', () => {
    expect(pathOf('/v1/assets?bbox=1,2,3,4')).toBe('/v1/assets');
    expect(isPublicPath(pathOf('/ogc/conformance?f=json'))).toBe(true);
  });
});
