import { describe, expect, it } from '@jest/globals';
import { deciderSpec } from '@meridian/shared/decider';
import { PERMISSIONS } from '@meridian/shared/policy';
import { type AccessDecision, SYSTEM_ACCESS } from '../access/access';
import { DEFAULT_MACHINE } from './default-definition';
import { definitionDecider, definitionStreamId, type PublishDefinition } from './definition.decide';
import type { MachineJson } from './definition.types';
import { MissionRejections } from './definition.vocabulary';
import { parseDefinition } from './parse-definition';

const now = '2026-12-01T08:00:00.000Z';
const publish = (machine: MachineJson, extra: Partial<PublishDefinition['data']> = {}): PublishDefinition => ({
  type: 'PublishDefinition',
  data: { tenantId: 'acme', key: 'survey', machine, deadlineTolerance: null, now, access: SYSTEM_ACCESS, ...extra },
});
const definition = deciderSpec(definitionDecider);

/** A small valid machine to break one rule at a time. */
const small = (): { initial: string; states: Record<string, Record<string, unknown>> } => ({
  initial: 'open',
  states: {
    open: {
      on: { close: { target: 'closed', meta: { permission: 'missions:write' } } },
      after: { deadline: 'late' },
    },
    late: { on: { close: { target: 'closed', meta: { permission: 'missions:write' } } } },
    closed: { type: 'final' },
  },
});
const invalid = (machine: unknown) => parseDefinition(machine as MachineJson, PERMISSIONS);

describe('workflow definitions', () => {
  it('the seeded default definition is valid', () => {
    expect(invalid(DEFAULT_MACHINE)).toMatchObject({ ok: true });
  });

  it('publishes version 1, then 2 for the same key, with the default tolerance', () => {
    const first = definitionDecider.decide(publish(small()), definitionDecider.initialState);
    expect(first).toMatchObject({ ok: true, events: [{ data: { version: 1, deadlineTolerance: 'PT15M' } }] });
    if (!first.ok) return;
    definition
      .given(first.events)
      .when(publish(small(), { deadlineTolerance: 'PT5M' }))
      .then([
        {
          type: 'workflow-definition.published.v1',
          data: {
            tenantId: 'acme',
            key: 'survey',
            version: 2,
            machine: small(),
            deadlineTolerance: 'PT5M',
            publishedAt: now,
          },
        },
      ]);
  });

  it('names one stream per tenant and key, which no other pair can reach', () => {
    expect(definitionStreamId('acme', 'eu-default')).not.toBe(definitionStreamId('acme-eu', 'default'));
    const acme = definitionDecider.decide(publish(small()), definitionDecider.initialState);
    if (!acme.ok) throw new Error(acme.detail);
    definition
      .given(acme.events)
      .when(publish(small(), { tenantId: 'other' }))
      .thenRejects(MissionRejections.definitionInvalid, /not available/);
  });

  it('refuses a target or initial state that is only an inherited property name', () => {
    const m = small();
    m.states.late.on = { close: { target: 'constructor', meta: { permission: 'missions:write' } } };
    expect(invalid(m)).toMatchObject({ ok: false, detail: expect.stringMatching(/"constructor" is not a state/) });
    expect(invalid({ ...small(), initial: 'constructor' })).toMatchObject({ ok: false });
  });

  it("refuses with the policy's code when access is denied", () => {
    const denied: AccessDecision = { allow: false, code: 'AUTH.FORBIDDEN_ROLE', detail: 'needs missions:approve' };
    definition
      .given([])
      .when(publish(small(), { access: denied }))
      .thenRejects('AUTH.FORBIDDEN_ROLE');
  });

  const cases: [string, (m: ReturnType<typeof small>) => unknown, RegExp][] = [
    [
      'an unknown guard',
      (m) => ((m.states.open.on as Record<string, Record<string, unknown>>).close.guard = 'isFriday'),
      /unknown guard "isFriday"/,
    ],
    [
      'an unknown permission',
      (m) => (m.states.late.on = { close: { target: 'closed', meta: { permission: 'missions:launch' } } }),
      /unknown permission "missions:launch"/,
    ],
    ['an event without a permission', (m) => (m.states.late.on = { close: 'closed' }), /meta.permission is required/],
    ['an unknown delay', (m) => (m.states.open.after = { tomorrow: 'late' }), /unknown delay "tomorrow"/],
    [
      'a target that is no state',
      (m) => (m.states.late.on = { close: { target: 'nowhere', meta: { permission: 'missions:write' } } }),
      /target "nowhere" is not a state/,
    ],
    [
      'an unreachable state',
      (m) => (m.states.island = { on: { close: { target: 'closed', meta: { permission: 'missions:write' } } } }),
      /"island" cannot be reached/,
    ],
    [
      'a final state with exits',
      (m) => (m.states.closed.on = { reopen: { target: 'open', meta: { permission: 'missions:write' } } }),
      /final state has no exits/,
    ],
    [
      'no final state',
      (m) => (m.states.closed = { on: { reopen: { target: 'open', meta: { permission: 'missions:write' } } } }),
      /no final state/,
    ],
    ['code in the definition (entry actions)', (m) => (m.states.open.entry = 'launchMissiles'), /"entry" not allowed/],
    ['context at the top', (m) => Object.assign(m, { context: { secret: 1 } }), /"context" not allowed/],
    ['an initial state that does not exist', (m) => (m.initial = 'nowhere'), /machine.initial/],
    ['a bad state name', (m) => (m.states['Bad State'] = { type: 'final' }), /lower case/],
    [
      'an unknown effect',
      (m) =>
        (m.states.late.on = { close: { target: 'closed', meta: { permission: 'missions:write', effect: 'launch' } } }),
      /unknown effect/,
    ],
  ];
  it.each(cases)('refuses %s with DEFINITION.INVALID naming where', (_name, breakIt, detail) => {
    const machine = small();
    breakIt(machine);
    expect(invalid(machine)).toMatchObject({ ok: false, detail: expect.stringMatching(detail) });
    definition
      .given([])
      .when(publish(machine as MachineJson))
      .thenRejects(MissionRejections.definitionInvalid, detail);
  });

  it('refuses an empty machine, a huge one and a bad tolerance', () => {
    definition
      .given([])
      .when(publish({}))
      .thenRejects(MissionRejections.definitionInvalid, /at least one state/);
    const huge = small();
    huge.states.open.description = 'x'.repeat(70_000);
    definition
      .given([])
      .when(publish(huge))
      .thenRejects(MissionRejections.definitionInvalid, /larger than/);
    definition
      .given([])
      .when(publish(small(), { deadlineTolerance: 'P30D' }))
      .thenRejects(MissionRejections.definitionInvalid, /deadlineTolerance/);
  });
});
