import 'reflect-metadata';
import { PATTERN_EXTRAS_METADATA, PATTERN_METADATA } from '@nestjs/microservices/constants';
import { describe, expect, it } from '@jest/globals';
import { type MessageContract, Topics } from '@meridian/contracts/core';
import {
  ZoneArchivedV1,
  ZoneCreatedV1,
  ZoneCreatedV2,
  ZoneReplacedV1,
  ZoneReplacedV2,
} from '@meridian/contracts/zones';
import { ZoneEventsProjector } from './zone-events.projector';

/** The rows each route writes are tested in test/access-attributes.int.spec.ts and the read-model specs. */
describe('ZoneEventsProjector routes', () => {
  const route = (method: keyof ZoneEventsProjector) => {
    const handler = ZoneEventsProjector.prototype[method];
    return {
      patterns: Reflect.getMetadata(PATTERN_METADATA, handler) as unknown,
      extras: Reflect.getMetadata(PATTERN_EXTRAS_METADATA, handler) as { topic?: string; contract?: MessageContract },
    };
  };

  it('takes v2 zone events and the v1 ones still on the topic, each under its own contract', () => {
    const expected: [keyof ZoneEventsProjector, MessageContract][] = [
      ['created', ZoneCreatedV2],
      ['createdV1', ZoneCreatedV1],
      ['replaced', ZoneReplacedV2],
      ['replacedV1', ZoneReplacedV1],
      ['archived', ZoneArchivedV1],
    ];
    for (const [method, contract] of expected) {
      expect([method, route(method)]).toEqual([
        method,
        { patterns: [contract.type], extras: { topic: Topics.workflowEvents, contract } },
      ]);
    }
  });
});
