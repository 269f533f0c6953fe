import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from '@jest/globals';
import { type Refusal, RefusalLog } from './refusals';

const request = (url: string) => ({ url, method: 'GET', ip: '10.0.0.7' }) as FastifyRequest;

describe('RefusalLog: every refused request is counted per code and handed to the logger', () => {
  it('counts 401, 403, 429 and AUTH.* answers, logs each without the query string, and ignores the rest', () => {
    const log = new RefusalLog();
    const seen: Refusal[] = [];
    log.onRefusal((r) => seen.push(r));
    log.record(401, 'AUTH.TOKEN_INVALID', request('/v1/assets?access_token=secret'));
    log.record(401, 'AUTH.TOKEN_INVALID', request('/v1/zones'));
    log.record(403, 'AUTH.CLEARANCE', request('/v1/zones'));
    log.record(429, 'RATE.LIMITED', request('/v1/telemetry'));
    log.record(400, 'REQUEST.INVALID', request('/v1/assets'));
    log.record(404, 'ASSET.NOT_FOUND', request('/v1/assets/x'));
    expect(log.snapshot()).toMatchObject({
      total: 4,
      byCode: { 'AUTH.CLEARANCE': 1, 'AUTH.TOKEN_INVALID': 2, 'RATE.LIMITED': 1 },
    });
    expect(seen[0]).toEqual({
      code: 'AUTH.TOKEN_INVALID',
      status: 401,
      method: 'GET',
      path: '/v1/assets',
      ip: '10.0.0.7',
    });
    expect(JSON.stringify(seen)).not.toContain('secret');
  });
});
