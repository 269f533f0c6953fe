import { describe, expect, it } from '@jest/globals';
import { serviceOf, tracingSettings } from './settings';

const facts = (env: Record<string, string>, mainFile?: string, argv: string[] = ['node', 'main']) => ({
  env,
  argv,
  mainFile,
});
const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };

describe('tracingSettings', () => {
  it('is off without an OTLP endpoint, whatever else is set', () => {
    expect(tracingSettings(facts({ OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on' }))).toMatchObject({
      enabled: false,
    });
    expect(tracingSettings(facts({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' })).enabled).toBe(false);
  });

  it('is on with either endpoint variable, and off again with OTEL_SDK_DISABLED=true', () => {
    expect(tracingSettings(facts(endpoint)).enabled).toBe(true);
    expect(tracingSettings(facts({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).enabled).toBe(
      true,
    );
    expect(tracingSettings(facts({ ...endpoint, OTEL_SDK_DISABLED: 'TRUE' })).enabled).toBe(false);
    expect(tracingSettings(facts({ ...endpoint, OTEL_SDK_DISABLED: 'false' })).enabled).toBe(true);
  });

  it('names the service OTEL_SERVICE_NAME, else meridian-<service>', () => {
    expect(tracingSettings(facts({ ...endpoint, OTEL_SERVICE_NAME: 'edge-gw' }))).toEqual({
      enabled: true,
      serviceName: 'edge-gw',
    });
    expect(tracingSettings(facts(endpoint, '/repo/apps/geo-query/src/main.ts'))).toEqual({
      enabled: true,
      serviceName: 'meridian-geo-query',
    });
  });
});

describe('serviceOf', () => {
  it('reads MERIDIAN_SERVICE first, then the main module, then the entry point argument', () => {
    expect(serviceOf(facts({ MERIDIAN_SERVICE: 'projection' }, '/app/apps/gateway/src/main.ts'))).toBe('projection');
    expect(serviceOf(facts({}, '/work/main/apps/workflow/src/main.ts'))).toBe('workflow');
    expect(serviceOf(facts({}, '/app/dist/server/apps/identity/src/main.js'))).toBe('identity');
    const image = ['/usr/local/bin/node', '/app/dist/server/tools/meridian.js', 'gateway'];
    expect(serviceOf(facts({}, '/app/dist/server/tools/meridian.js', image))).toBe('gateway');
    expect(serviceOf(facts({}, '/app/dist/server/tools/meridian.js', ['node', 'x', 'migrate']))).toBe('unknown');
  });
});
