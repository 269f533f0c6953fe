import { CloudEvent, Kafka, type KafkaMessage } from 'cloudevents';
import { describe, expect, it } from '@jest/globals';
import { type Envelope, fromWire, MeridianHeaders, toWire, type WireMessage } from './envelope';
import { CodedError, ErrorCodes } from './errors';
import { z } from 'zod';
import { defineMessage, parseData } from './message';

/** Contracts of the shape of the assets context's, declared here: core depends on no context. */
const RegisterAssetV1 = defineMessage(
  'meridian.workflow.asset.register.v1',
  'command',
  z.strictObject({ assetId: z.uuid(), name: z.string(), kind: z.enum(['drone', 'vehicle', 'sensor', 'crew']) }),
  'test',
);
const AssetRegisteredV1 = defineMessage(
  'meridian.workflow.asset.registered.v1',
  'event',
  z.strictObject({ assetId: z.uuid() }),
  'test',
);

const assetId = '0f8fad5b-d9cb-469f-a165-70867728950e';

const envelope: Envelope = {
  id: '7d444840-9dc0-11d1-b245-5ffdce74fad2',
  type: RegisterAssetV1.type,
  source: '/meridian/gateway',
  time: '2025-03-01T10:20:30.000Z',
  dataschema: RegisterAssetV1.dataschema,
  subject: assetId,
  data: { assetId, name: 'Drone 7', kind: 'drone' },
  correlationId: 'corr-1',
  causationId: 'cause-1',
  tenantId: 'acme',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  replyTo: 'meridian.gateway.replies.g1',
};

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof CodedError ? err.code : `not a CodedError: ${String(err)}`;
  }
  return undefined;
};

describe('CloudEvents envelope (Kafka binary mode)', () => {
  it('writes exactly the headers the CloudEvents SDK would write for the same attributes', () => {
    const sdk = Kafka.binary(
      new CloudEvent({
        specversion: '1.0',
        id: envelope.id,
        type: envelope.type,
        source: envelope.source,
        time: envelope.time,
        datacontenttype: 'application/json',
        dataschema: envelope.dataschema,
        subject: envelope.subject,
      }),
    );
    const expected = Object.fromEntries(Object.entries(sdk.headers).filter(([, v]) => v !== undefined));
    const ours = Object.fromEntries(
      Object.entries(toWire(envelope, assetId).headers).filter(([k]) => k.startsWith('ce_') || k === 'content-type'),
    );
    expect(ours).toEqual(expected);
  });

  it('puts the attributes in ce_* headers and the data, as JSON, in the value', () => {
    const wire = toWire(envelope, assetId);
    expect(wire.key).toBe(assetId);
    expect(wire.headers).toMatchObject({
      ce_specversion: '1.0',
      ce_id: envelope.id,
      ce_type: envelope.type,
      ce_source: envelope.source,
      ce_time: envelope.time,
      ce_dataschema: envelope.dataschema,
      ce_subject: assetId,
      [MeridianHeaders.correlationId]: 'corr-1',
      [MeridianHeaders.causationId]: 'cause-1',
      [MeridianHeaders.tenantId]: 'acme',
      [MeridianHeaders.traceparent]: envelope.traceparent,
      [MeridianHeaders.replyTo]: envelope.replyTo,
    });
    expect(JSON.parse(wire.value.toString('utf8'))).toEqual(envelope.data);
  });

  it('round-trips every field through toWire and fromWire', () => {
    expect(fromWire(toWire(envelope, assetId))).toEqual(envelope);
  });

  it('round-trips a minimal envelope without optional headers', () => {
    const minimal: Envelope = {
      id: 'e-1',
      type: 'meridian.test.v1',
      source: '/meridian/test',
      time: '2025-03-01T10:20:30.000Z',
      data: [1, 'two', { three: null }],
      correlationId: 'c-1',
    };
    const back = fromWire(toWire(minimal, null));
    expect(back).toEqual(minimal);
    expect(back).not.toHaveProperty('tenantId');
    expect(back).not.toHaveProperty('replyTo');
  });

  it('rejects a plain JSON message that is not a CloudEvent with CONTRACT.VIOLATION', () => {
    const plain: WireMessage = {
      key: null,
      value: Buffer.from('{"hello":"world"}'),
      headers: { 'correlation-id': 'c' },
    };
    expect(codeOf(() => fromWire(plain))).toBe(ErrorCodes.contractViolation);
  });

  it('rejects a CloudEvent with a missing required attribute or a wrong spec version', () => {
    const wire = toWire(envelope, null);
    const withoutType: Record<string, string> = { ...wire.headers };
    delete withoutType['ce_type'];
    expect(codeOf(() => fromWire({ ...wire, headers: withoutType }))).toBe(ErrorCodes.contractViolation);
    expect(codeOf(() => fromWire({ ...wire, headers: { ...wire.headers, ce_specversion: '0.1' } }))).toBe(
      ErrorCodes.contractViolation,
    );
  });

  it('rejects a CloudEvent without a correlation-id header', () => {
    const wire = toWire(envelope, null);
    const headers: Record<string, string> = { ...wire.headers };
    delete headers[MeridianHeaders.correlationId];
    expect(codeOf(() => fromWire({ ...wire, headers }))).toBe(ErrorCodes.contractViolation);
  });

  it('rejects a value that is not JSON although the content type says so', () => {
    const wire = toWire(envelope, null);
    expect(codeOf(() => fromWire({ ...wire, value: Buffer.from('{not json') }))).toBe(ErrorCodes.contractViolation);
  });
});

/** What the CloudEvents SDK reads from a message: its attributes, or the reason it refuses it. */
function sdkVerdict(message: WireMessage): { ok: true; attributes: Record<string, unknown> } | { ok: false } {
  try {
    const kafkaMessage: KafkaMessage<string> = {
      key: message.key ?? '',
      value: message.value.toString('utf8'),
      body: message.value.toString('utf8'),
      headers: { ...message.headers },
    };
    const parsed = Kafka.toEvent(kafkaMessage);
    if (Array.isArray(parsed)) return { ok: false };
    const event = parsed as CloudEvent<unknown>;
    if (event.specversion !== '1.0') return { ok: false };
    event.validate();
    const { id, type, source, time, dataschema, subject, data } = event;
    return { ok: true, attributes: { id, type, source, time, dataschema, subject, data } };
  } catch {
    return { ok: false };
  }
}

describe('fromWire agrees with the CloudEvents SDK', () => {
  const wire = toWire(envelope, assetId);
  const variant = (headers: Record<string, string | undefined>, value?: string): WireMessage => ({
    key: assetId,
    value: value === undefined ? wire.value : Buffer.from(value),
    headers: Object.fromEntries(
      Object.entries({ ...wire.headers, ...headers }).filter((e): e is [string, string] => e[1] !== undefined),
    ),
  });
  const cases: Record<string, WireMessage> = {
    'a full envelope': wire,
    'a minimal one': variant({ ce_dataschema: undefined, ce_subject: undefined, ce_time: undefined }),
    'an offset time': variant({ ce_time: '2025-03-01T12:20:30.123+02:00' }),
    'a time without seconds fraction': variant({ ce_time: '2025-03-01T10:20:30Z' }),
    'data that is a JSON string': variant({}, '"just text"'),
    'data that is a JSON array': variant({}, '[1,2,3]'),
    'specversion 0.3': variant({ ce_specversion: '0.3' }),
    'no id': variant({ ce_id: undefined }),
    'an empty id': variant({ ce_id: '' }),
    'no source': variant({ ce_source: undefined }),
    'no type': variant({ ce_type: undefined }),
    'an empty type': variant({ ce_type: '' }),
    'a time that is not a timestamp': variant({ ce_time: 'yesterday' }),
    'an empty subject': variant({ ce_subject: '' }),
    'a relative dataschema': variant({ ce_dataschema: 'not a uri' }),
    'a value that is not JSON': variant({}, '{not json'),
  };

  it.each(Object.entries(cases))('%s: accepted or refused alike, with the same attributes', (_, message) => {
    const sdk = sdkVerdict(message);
    let ours: Envelope | null = null;
    try {
      ours = fromWire(message);
    } catch (err) {
      expect(err).toBeInstanceOf(CodedError);
      expect((err as CodedError).code).toBe(ErrorCodes.contractViolation);
    }
    expect(ours !== null).toBe(sdk.ok);
    if (!sdk.ok || ours === null) return;
    const { id, type, source, dataschema, subject, data } = ours;
    const { time: sdkTime, ...sdkRest } = sdk.attributes;
    expect({ id, type, source, dataschema, subject, data }).toEqual(sdkRest);
    // The SDK fills in the current time when there is none; the envelope says "unknown" (epoch).
    if (message.headers.ce_time) expect(ours.time).toBe(new Date(String(sdkTime)).toISOString());
  });

  // CloudEvents 1.0 requires both; the SDK lets them pass (it assumes 1.0, and takes any date).
  it.each([
    ['no specversion', variant({ ce_specversion: undefined })],
    ['a date without a time', variant({ ce_time: '2025-03-01' })],
  ])('%s: refused, where the SDK is lenient', (_, message) => {
    expect(sdkVerdict(message).ok).toBe(true);
    expect(codeOf(() => fromWire(message))).toBe(ErrorCodes.contractViolation);
  });
});

describe('parseData', () => {
  const received = fromWire(toWire(envelope, assetId));

  it('returns the validated data of a matching message', () => {
    expect(parseData(RegisterAssetV1, received)).toEqual({ assetId, name: 'Drone 7', kind: 'drone' });
  });

  it('rejects unknown fields: schemas are strict', () => {
    const extra = { ...received, data: { assetId, name: 'Drone 7', kind: 'drone', colour: 'red' } };
    expect(codeOf(() => parseData(RegisterAssetV1, extra))).toBe(ErrorCodes.contractViolation);
  });

  it('rejects invalid values and missing fields', () => {
    expect(
      codeOf(() => parseData(RegisterAssetV1, { ...received, data: { assetId, name: 'x', kind: 'submarine' } })),
    ).toBe(ErrorCodes.contractViolation);
    expect(
      codeOf(() =>
        parseData(RegisterAssetV1, { ...received, data: { assetId: 'not-a-uuid', name: 'x', kind: 'drone' } }),
      ),
    ).toBe(ErrorCodes.contractViolation);
    expect(codeOf(() => parseData(RegisterAssetV1, { ...received, data: { assetId, kind: 'drone' } }))).toBe(
      ErrorCodes.contractViolation,
    );
  });

  it('rejects a message of another type even if its data would fit', () => {
    expect(codeOf(() => parseData(AssetRegisteredV1, received))).toBe(ErrorCodes.contractViolation);
  });
});

describe('binary data (vector tiles)', () => {
  const tile = Uint8Array.from([0x1a, 0x05, 0x0a, 0x03, 0x61, 0x62, 0xff, 0x00, 0x80]);
  const binary: Envelope = {
    ...envelope,
    type: 'meridian.reply.tile.v1',
    datacontenttype: 'application/vnd.mapbox-vector-tile',
    data: tile,
  };

  it('goes out as the Kafka value byte for byte, with its media type as datacontenttype', () => {
    const wire = toWire(binary, null);
    expect([...wire.value]).toEqual([...tile]);
    expect(wire.headers.ce_datacontenttype).toBe('application/vnd.mapbox-vector-tile');
    expect(wire.headers['content-type']).toBe('application/vnd.mapbox-vector-tile');
  });

  it('comes back as the same bytes (not UTF-8 text), with its media type', () => {
    const back = fromWire(toWire(binary, null));
    expect(Buffer.isBuffer(back.data)).toBe(true);
    expect([...(back.data as Buffer)]).toEqual([...tile]);
    expect(back.datacontenttype).toBe('application/vnd.mapbox-vector-tile');
  });

  it('an empty tile is an empty value', () => {
    const back = fromWire(toWire({ ...binary, data: new Uint8Array(0) }, null));
    expect((back.data as Buffer).length).toBe(0);
  });

  it('JSON data is unchanged: no datacontenttype attribute on the parsed envelope', () => {
    const back = fromWire(toWire(envelope, assetId));
    expect(back.datacontenttype).toBeUndefined();
    expect(back.data).toEqual(envelope.data);
  });
});
