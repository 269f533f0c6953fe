import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { Topics } from '@meridian/contracts/core';
import { ProblemException } from '@meridian/gateway/util-http';
import { stableUuid } from '@meridian/shared/util';
import {
  commandResponse,
  etagOf,
  eventResponse,
  idsFor,
  MISSION_COMMAND_TOPIC,
  missionCommandTopic,
  sagaIdOf,
  versionAfter,
} from './mission-commands';

const MISSION = '01936d3e-8c1a-7b2e-9f00-5a1c2b3d4e5f';

const problem = (f: () => unknown): ProblemException => {
  try {
    f();
  } catch (err) {
    if (err instanceof ProblemException) return err;
    throw err;
  }
  throw new Error('no problem thrown');
};

describe('mission command answers', () => {
  it("sends to workflow's command topic unless a test names its own", () => {
    expect(missionCommandTopic()).toEqual({ provide: MISSION_COMMAND_TOPIC, useValue: Topics.workflowCommands });
  });

  it('answers an accepted event 200 {id, version}, one that started a saga 202 {id, version, sagaId}', () => {
    const saga = randomUUID();
    expect(eventResponse(MISSION, { outcome: 'accepted', streamId: `mission-${MISSION}`, version: 4 })).toEqual({
      status: 200,
      body: { id: MISSION, version: 4 },
    });
    expect(eventResponse(MISSION, { outcome: 'accepted', streamId: `saga-${saga}`, version: 5 })).toEqual({
      status: 202,
      body: { id: MISSION, version: 5, sagaId: saga },
    });
    expect(sagaIdOf('assignments-x')).toBeUndefined();
    expect(sagaIdOf(`mission-saga-${saga}`)).toBeUndefined();
  });

  it('answers a timeout 202 pending and a refusal as the problem of its code', () => {
    expect(eventResponse(MISSION, { outcome: 'pending', correlationId: 'c-1' })).toEqual({
      status: 202,
      body: { id: MISSION, status: 'pending', correlationId: 'c-1' },
    });
    const refused = problem(() =>
      eventResponse(MISSION, { outcome: 'rejected', code: 'MISSION.SEPARATION_OF_DUTIES', detail: 'not you' }),
    );
    expect([refused.status, refused.code, refused.message]).toEqual([403, 'MISSION.SEPARATION_OF_DUTIES', 'not you']);
    expect(
      commandResponse({ outcome: 'accepted', streamId: 's', version: 1 }, { id: MISSION }, `/v1/missions/${MISSION}`),
    ).toEqual({ status: 201, body: { id: MISSION, version: 1 }, location: `/v1/missions/${MISSION}` });
  });

  it('gives an ETag to an answer with the version it produced, not to a pending one', () => {
    expect(etagOf({ status: 201, body: { id: MISSION, version: 1 } })).toBe('"1"');
    expect(etagOf({ status: 202, body: { id: MISSION, version: 5, sagaId: randomUUID() } })).toBe('"5"');
    expect(etagOf({ status: 202, body: { id: MISSION, status: 'pending', correlationId: 'c' } })).toBeUndefined();
  });

  it('derives ids from the Idempotency-Key per tenant and purpose, fresh ones without', () => {
    const ids = idsFor('acme', 'k-1');
    expect(ids('mission')).toBe(stableUuid('mission:acme:k-1'));
    expect(ids('mission')).toBe(ids('mission'));
    expect(ids('mission-command')).not.toBe(ids('mission'));
    expect(idsFor('other', 'k-1')('mission')).not.toBe(ids('mission'));
    const fresh = idsFor('acme', undefined);
    expect(fresh('mission')).not.toBe(fresh('mission'));
  });

  it('reads a history cursor position as a version, and refuses anything else as a bad cursor', () => {
    expect(versionAfter(undefined)).toBeUndefined();
    expect(versionAfter('7')).toBe(7);
    expect(problem(() => versionAfter('7; drop')).code).toBe('QUERY.CURSOR_INVALID');
  });
});
