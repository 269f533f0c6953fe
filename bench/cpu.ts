/**
 * CPU accounting from /proc for the benchmarks that run the whole system: per process, per party
 * (each service, PostgreSQL, Kafka, Redis) and for the whole machine.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { round } from './harness';

export const CLOCK_TICKS_PER_S = 100;

/** Busy clock ticks of the whole machine (all CPUs), or null without /proc. */
export function machineTicks(): number | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = cpu;
    return user + nice + system + irq + softirq + (steal ?? 0);
  } catch {
    return null;
  }
}

/** utime + stime of processes in clock ticks, or null when one cannot be read. */
export function processTicks(pids: readonly number[]): number | null {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return null;
    }
  }
  return ticks;
}

/** Processes by party: each service by name, and every PostgreSQL, Kafka (java) and Redis process of the machine. */
export function partyPids(services: Readonly<Record<string, number>>): Map<string, number[]> {
  const parties = new Map<string, number[]>(Object.entries(services).map(([name, pid]) => [name, [pid]]));
  const byCommand: Readonly<Record<string, string>> = {
    postgres: 'PostgreSQL',
    java: 'Kafka',
    'redis-server': 'Redis',
  };
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const party = byCommand[readFileSync(`/proc/${entry}/comm`, 'utf8').trim()];
        if (party) parties.set(party, [...(parties.get(party) ?? []), Number(entry)]);
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // no /proc
  }
  return parties;
}

/** utime + stime per pid; pids that are gone are left out. */
export function ticksByPid(pids: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    const t = processTicks([pid]);
    if (t !== null) out.set(pid, t);
  }
  return out;
}

/**
 * CPU milliseconds per command for each party over a phase (a process that started during the
 * phase counts from zero; one that ended is lost, which PostgreSQL's pooled backends rarely do).
 */
export function cpuPerCommand(services: Readonly<Record<string, number>>) {
  const before = new Map([...partyPids(services)].map(([party, pids]) => [party, ticksByPid(pids)]));
  return (commands: number): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const [party, pids] of partyPids(services)) {
      const was = before.get(party) ?? new Map<number, number>();
      let ticks = 0;
      for (const [pid, t] of ticksByPid(pids)) ticks += t - (was.get(pid) ?? 0);
      out[party] = round((ticks * (1000 / CLOCK_TICKS_PER_S)) / commands);
    }
    return out;
  };
}
