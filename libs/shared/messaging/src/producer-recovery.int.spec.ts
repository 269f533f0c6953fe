import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CodedError, ErrorCodes, toWire } from '@meridian/contracts/core';
import { silentLog, sleep } from '@meridian/shared/util';
import { MessageBus } from './bus';

// A broker of this file's own (state dir, ports): stopping the shared test broker would break
// every other test. It is started here, and a broker that cannot start fails the test.
const KAFKA_SCRIPT = resolve(__dirname, '../../../../infra/scripts/kafka.sh');
const PORT = 39092;
const env = {
  ...process.env,
  MERIDIAN_KAFKA_STATE: 'kafka-fault',
  MERIDIAN_KAFKA_PORT: String(PORT),
  MERIDIAN_KAFKA_CONTROLLER_PORT: '39093',
};
const run = promisify(execFile);
const kafka = (command: 'start' | 'stop' | 'reset') => run('bash', [KAFKA_SCRIPT, command], { env, timeout: 240_000 });

async function eventually(assertion: () => void, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return assertion();
    } catch (err) {
      if (Date.now() >= deadline) throw err;
    }
    await sleep(200);
  }
}

const message = (text: string) =>
  toWire(
    {
      id: randomUUID(),
      type: 'test.note.v1',
      source: '/test',
      time: new Date().toISOString(),
      data: { text },
      correlationId: 'c',
    },
    'k',
  );

describe('producer recovery after the broker is stopped and started', () => {
  let bus: MessageBus;
  const topic = `test.producer-recovery.${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    // A data dir left by an interrupted run would still hold its topics: start clean.
    await kafka('reset');
    await kafka('start');
    bus = new MessageBus({
      brokers: [`127.0.0.1:${PORT}`],
      clientId: 'producer-recovery',
      log: silentLog,
      sendTimeoutMs: 3_000,
    });
    await bus.ensureTopics([{ name: topic, partitions: 1, retentionMs: 3_600_000, cleanupPolicy: 'delete' }]);
  }, 240_000);

  afterAll(async () => {
    await bus?.close();
    await kafka('reset');
  }, 240_000);

  it('fails sends by their deadline while the broker is down, then recovers on a fresh producer', async () => {
    await bus.send(topic, [message('before')]);
    const first = await bus.producer();
    expect(bus.producerHealthy()).toBe(true);

    await kafka('stop');
    const during = bus.send(topic, [message('during')]);
    await expect(during).rejects.toBeInstanceOf(CodedError);
    await expect(during).rejects.toMatchObject({ code: ErrorCodes.upstreamUnavailable });
    expect(bus.producerHealthy()).toBe(false);

    await kafka('start');
    // Readiness recovers without traffic (an unready instance may get none): a fresh producer connects.
    await eventually(() => expect(bus.producerHealthy()).toBe(true));
    await bus.send(topic, [message('after')]);
    expect(bus.producerHealthy()).toBe(true);
    expect(await bus.producer()).not.toBe(first);
    // 'before' and 'after' were acknowledged; 'during' never reached the broker.
    expect((await bus.endOffsets(topic)).get(0)).toBe(2n);
  }, 240_000);
});
