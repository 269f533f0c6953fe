import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ServiceMetrics } from './service-metrics';

const DASHBOARD = resolve(__dirname, '../../../../k8s/meridian/dashboards/meridian.json');
const HISTOGRAM_SERIES = /_(bucket|count|sum)$/;

interface Target {
  readonly expr: string;
  readonly datasource?: { readonly type?: string; readonly uid?: string };
}
interface Panel {
  readonly type: string;
  readonly title: string;
  readonly datasource?: { readonly type?: string; readonly uid?: string };
  readonly targets?: readonly Target[];
}
interface Variable {
  readonly name: string;
  readonly type: string;
  readonly query?: unknown;
}
interface Dashboard {
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly Variable[] };
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const targets = dashboard.panels.flatMap((p) => p.targets ?? []);

/** The metrics a service defines (its own and the process ones), with their types. */
async function defined(): Promise<Map<string, string>> {
  const metrics = await new ServiceMetrics('dashboard-check').registry.getMetricsAsJSON();
  return new Map(metrics.map((m) => [m.name, String(m.type)]));
}

/** A series name in an expression as the metric it belongs to (`x_bucket` of histogram `x` is `x`). */
function metricOf(series: string, known: Map<string, string>): string {
  if (known.has(series)) return series;
  const base = series.replace(HISTOGRAM_SERIES, '');
  return known.get(base) === 'histogram' ? base : series;
}

describe('the Grafana dashboard (k8s/meridian/dashboards/meridian.json)', () => {
  it('queries only metrics the code defines, and draws every meridian_* metric', async () => {
    const known = await defined();
    const used = new Set(
      targets.flatMap((t) => [...t.expr.matchAll(/\b(?:meridian|process|nodejs)_[a-z0-9_]+/g)].map((m) => m[0])),
    );
    expect(used.size).toBeGreaterThan(10);
    const unknown = [...used].filter((s) => !known.has(metricOf(s, known)));
    expect(unknown).toEqual([]);
    const drawn = new Set([...used].map((s) => metricOf(s, known)));
    const undrawn = [...known.keys()].filter((name) => name.startsWith('meridian_') && !drawn.has(name));
    expect(undrawn).toEqual([]);
  });

  it('takes its Prometheus data source and the service from template variables', () => {
    const variables = new Map(dashboard.templating.list.map((v) => [v.name, v]));
    expect(variables.get('datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(variables.get('service')).toMatchObject({ type: 'query' });
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) expect(target.expr).toContain('service=~"$service"');
  });

  it('has the rows an operator looks for', () => {
    const rows = dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(rows).toEqual(['HTTP', 'Kafka', 'Event store', 'Ingest', 'Geofencing', 'Process']);
  });
});
