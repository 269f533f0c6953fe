/**
 * `npm run bench -- missions` (issue 10):
 *
 *  (a) mission transitions per second through the gateway (HTTP → Kafka → workflow's mission decider
 *      on XState → event store), `submit` then `cancel` on fresh missions, `concurrency` clients;
 *      baseline: zone commands (POST /v1/zones) through the same path at the same concurrency, in the
 *      same run, on the same stack — the cost of the platform's command path for a plain aggregate;
 *  (b) timers fired per second with 100,000 scheduled, for the Postgres poller and for BullMQ
 *      (bench/timers.ts): the measurement behind the default dispatcher.
 *
 * Nothing asserts on timings; results go to bench/results/missions.{json,md}.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join, resolve } from 'node:path';
import type { ServiceName } from '../tools/stack';
import { type CommandsEnvironment, type CommandsSystem, settle } from './commands-stack';
import { type BenchResult, fmt, now, percentile, result, round, runWorkers, say, scaled, withTicker } from './harness';
import { loadAverage1m } from './report';

export const MISSIONS_DATABASE = 'meridian_bench_missions';
export const MISSIONS_TENANT = 'bench-missions';
/** Ports of its own (`commands` 28080–, `queries` 28180–, `auth` 28280–). */
export const MISSIONS_PORTS: Readonly<Record<ServiceName, number>> = {
  gateway: 28380,
  identity: 28381,
  workflow: 28382,
  projection: 28383,
  'geo-query': 28384,
};
export const MISSIONS_OIDC_PORT = 28386;

export interface MissionsParams {
  readonly missions: number;
  readonly concurrency: number;
}

export const missionsParams = (scale: number): MissionsParams => ({
  missions: scaled(1000, scale, 50),
  concurrency: 16,
});

const area = (i: number) => {
  const x = 8 + (i % 100) * 0.01;
  const y = 47 + Math.floor(i / 100) * 0.01;
  return {
    type: 'Polygon',
    coordinates: [
      [
        [x, y],
        [x + 0.005, y],
        [x + 0.005, y + 0.005],
        [x, y + 0.005],
        [x, y],
      ],
    ],
  };
};

function post(
  agent: Agent,
  system: CommandsSystem,
  path: string,
  body: unknown,
): Promise<{ status: number; body: string }> {
  const payload = JSON.stringify(body);
  return new Promise((done, fail) => {
    const req = request(
      {
        host: system.host,
        port: system.port,
        path,
        method: 'POST',
        agent,
        headers: {
          ...system.auth.get(),
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          accept: 'application/json',
        },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', fail);
      },
    );
    req.on('timeout', () => req.destroy(new Error('client timeout (30 s)')));
    req.on('error', fail);
    req.end(payload);
  });
}

interface Phase {
  readonly commands: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly outcomes: Record<string, number>;
  readonly example?: string;
}

async function phase(
  label: string,
  total: number,
  concurrency: number,
  step: (i: number) => Promise<{ status: number; body: string }>,
  ok: (status: number) => boolean,
): Promise<Phase> {
  const ms: number[] = [];
  const outcomes: Record<string, number> = {};
  let example: string | undefined;
  let done = 0;
  const started = now();
  await withTicker(
    runWorkers(concurrency, total, async (i) => {
      const t = now();
      let outcome: string;
      try {
        const res = await step(i);
        outcome = String(res.status);
        if (ok(res.status)) ms.push(now() - t);
        else example ??= res.body.slice(0, 300);
      } catch (err) {
        outcome = 'error';
        example ??= (err as Error).message;
      }
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      done++;
    }),
    () => `${label}: ${done}/${total}`,
  );
  const seconds = (now() - started) / 1000;
  return {
    commands: total,
    seconds: round(seconds),
    perSecond: round(ms.length / seconds),
    p50Ms: round(percentile(ms, 50)),
    p99Ms: round(percentile(ms, 99)),
    outcomes,
    ...(example ? { example } : {}),
  };
}

export interface MissionsReport {
  readonly timestamp: string;
  readonly loadAverage: { readonly start: number; readonly end: number };
  readonly params: MissionsParams;
  readonly create: Phase;
  readonly transitions: Phase;
  readonly baseline: Phase;
  readonly timers: readonly BenchResult[];
}

/** (a) through the gateway; (b) `timers` runs its own measurement (given, so run.ts decides where). */
export async function missionsBenchmark(
  env: CommandsEnvironment,
  params: MissionsParams,
  timers: () => Promise<readonly BenchResult[]>,
): Promise<BenchResult[]> {
  const loadStart = loadAverage1m();
  const system = await env.start();
  const agent = new Agent({ keepAlive: true, maxSockets: params.concurrency });
  const { missions: n, concurrency } = params;
  const ids: string[] = [];
  try {
    const window = {
      start: new Date(Date.now() + 86_400_000).toISOString(),
      end: new Date(Date.now() + 90_000_000).toISOString(),
    };
    say(`  (a) creating ${fmt(n)} missions (${concurrency} clients)`);
    const create = await phase(
      'missions created',
      n,
      concurrency,
      async (i) => {
        const res = await post(agent, system, '/v1/missions', {
          title: `bench ${i}`,
          area: area(i),
          window,
          priority: 3,
        });
        if (res.status === 201) ids[i] = (JSON.parse(res.body) as { id: string }).id;
        return res;
      },
      (s) => s === 201,
    );
    await settle(system, 'the zone commands', 30_000);
    say(`  baseline: ${fmt(2 * n)} zone commands (POST /v1/zones), ${concurrency} clients`);
    const baseline = await phase(
      'zone commands',
      2 * n,
      concurrency,
      (i) => post(agent, system, '/v1/zones', { name: `bench zone ${i}`, kind: 'geofence', geometry: area(i) }),
      (s) => s === 201,
    );
    await settle(system, 'the mission transitions', 30_000);
    say(`  mission transitions: submit then cancel on each of ${fmt(n)} missions, ${concurrency} clients`);
    const transitions = await phase(
      'mission transitions',
      2 * n,
      concurrency,
      (i) => {
        const id = ids[i % n] ?? randomUUID();
        return post(agent, system, `/v1/missions/${id}/events/${i < n ? 'submit' : 'cancel'}`, {});
      },
      (s) => s === 200,
    );
    say(
      `    transitions ${fmt(transitions.perSecond)}/s (p50 ${fmt(transitions.p50Ms)} ms, ` +
        `p99 ${fmt(transitions.p99Ms)} ms) | zone commands ${fmt(baseline.perSecond)}/s ` +
        `(p50 ${fmt(baseline.p50Ms)} ms) | outcomes ${JSON.stringify(transitions.outcomes)}`,
    );
    if (transitions.example) say(`    example refusal: ${transitions.example}`);
    await env.close();
    say('  (b) timers: 100,000 scheduled, poller and BullMQ');
    const timerRows = await timers();
    const report: MissionsReport = {
      timestamp: new Date().toISOString(),
      loadAverage: { start: loadStart, end: loadAverage1m() },
      params,
      create,
      transitions,
      baseline,
      timers: timerRows,
    };
    writeMissionsReport(resolve(__dirname, 'results'), report);
    const results: BenchResult[] = [
      result({
        name: 'mission-transitions',
        title: 'Mission transitions through the gateway',
        value: transitions.perSecond,
        unit: 'transitions/s',
        baseline: baseline.perSecond,
        baselineName: 'zone commands through the gateway',
        valueName: 'missions',
        better: 'higher',
        parameters: { ...params },
        details: { transitions, baseline, create },
      }),
    ];
    results.push(...timerRows);
    return results;
  } finally {
    agent.destroy();
  }
}

function writeMissionsReport(dir: string, report: MissionsReport): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'missions.json'), `${JSON.stringify(report, null, 2)}\n`);
  const row = (name: string, p: Phase) =>
    `| ${name} | ${p.commands} | ${fmt(p.perSecond)} | ${fmt(p.p50Ms)} | ${fmt(p.p99Ms)} | ` +
    `${JSON.stringify(p.outcomes)} |`;
  const md = [
    '# Missions benchmark',
    '',
    `${report.timestamp}, load ${report.loadAverage.start} → ${report.loadAverage.end}, ` +
      `${report.params.concurrency} clients`,
    '',
    '| phase | requests | per second | p50 ms | p99 ms | outcomes |',
    '|---|--:|--:|--:|--:|---|',
    row('mission create', report.create),
    row('mission transitions (submit, cancel)', report.transitions),
    row('baseline: zone commands', report.baseline),
    '',
    '## Timers (100,000 scheduled)',
    '',
    '| dispatcher | timers/s | baseline | ratio |',
    '|---|--:|---|--:|',
    ...report.timers.map(
      (t) => `| ${t.title} | ${fmt(t.value)} | ${t.baselineName} ${fmt(t.baseline)} | ${fmt(t.ratio)} |`,
    ),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'missions.md'), md);
}
