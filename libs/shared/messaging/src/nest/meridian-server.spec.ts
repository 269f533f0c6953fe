import { describe, expect, it } from '@jest/globals';
import type { MessageHandler } from '@nestjs/microservices';
import { silentLog } from '@meridian/shared/util';
import { MessageBus } from '../bus';
import { MeridianServer, type MeridianServerOptions } from './meridian-server';

// No broker: a server whose routes do not fit its mode fails before it connects.
const bus = new MessageBus({ brokers: ['127.0.0.1:1'], clientId: 'meridian-server-spec', log: silentLog });
const handler = (): MessageHandler => async () => undefined;

const server = (mode: MeridianServerOptions['mode']): MeridianServer =>
  mode === 'requests'
    ? new MeridianServer(bus, {
        mode,
        topic: 't.a',
        groupId: 'g',
        service: 's',
        rejection: () => ({ type: 'r', data: null }),
        log: silentLog,
      })
    : new MeridianServer(bus, { mode, topic: 't.a', groupId: 'g', log: silentLog });

const listen = (s: MeridianServer): Promise<unknown> => new Promise((resolve) => void s.listen(resolve));

describe('MeridianServer routes', () => {
  it('keeps only the handlers declared for its own topic', () => {
    const s = server('events');
    s.addHandler('type.one', handler(), true, { topic: 't.a' });
    s.addHandler('type.two', handler(), true, { topic: 't.b' });
    s.addHandler('type.three', handler(), true, {});
    expect([...s.getHandlers().keys()]).toEqual(['type.one']);
  });

  it.each([
    ['events', false, {}, /type.x: request handler on topic t.a, which is served in events mode/],
    ['requests', true, {}, /type.x: event handler on topic t.a, which is served in requests mode/],
    ['batch', true, {}, /type.x: event handler on topic t.a, which is served in batch mode/],
    ['events', true, { batch: true }, /type.x: batch handler on topic t.a, which is served in events mode/],
  ] as const)('refuses to start in %s mode with a handler of another kind', async (mode, isEvent, extra, message) => {
    const s = server(mode);
    s.addHandler('type.x', handler(), isEvent, { topic: 't.a', ...extra });
    const err = await listen(s);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(message);
  });
});
