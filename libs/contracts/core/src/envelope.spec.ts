import { CloudEvent, Kafka } from 'cloudevents';
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
