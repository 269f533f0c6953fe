import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CodedError, ErrorCodes } from '@meridian/contracts/core';
import type { MessageBus } from './bus';
import { createTestBus, createTopics, eventually, messagesIn, testWire, uniqueTopic } from './testing/spec-support';

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

const message = (text: string) => testWire('test.note.v1', { text }, 'k');

describe('producer recovery after the broker is stopped and started', () => {
  let bus: MessageBus;
  const topic = uniqueTopic('producer-recovery');

  beforeAll(async () => {
    // A data dir left by an interrupted run would still hold its topics: start clean.
    await kafka('reset');
    await kafka('start');
    bus = createTestBus('producer-recovery', { brokers: [`127.0.0.1:${PORT}`], sendTimeoutMs: 3_000 });
    await createTopics(bus, [topic]);
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
    expect(await messagesIn(bus, topic)).toBe(2n);
  }, 240_000);
});
