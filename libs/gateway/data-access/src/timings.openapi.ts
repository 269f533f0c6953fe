import { registerOperation } from '@meridian/gateway/util-http';

const operatorTag = ['operator'];

registerOperation('/internal/timings', 'get', () => ({
  summary: 'Per-hop latency breakdown of commands since the last reset (operators; no tenant)',
  operationId: 'getCommandTimings',
  tags: operatorTag,
  responses: {
    '200': {
      description:
        'Per hop (http_parse, produce, broker_to_consumer, consumer_queue, load_decide, append_commit, ' +
        'reply_produce, reply_fetch, gateway_reply, http_write) and end to end: count, p50, p95, p99, max, mean ' +
        '(ms), plus the breakdown of the latest command. See docs/performance.md.',
      content: { 'application/json': { schema: { type: 'object' } } },
    },
  },
}));

registerOperation('/internal/timings', 'delete', () => ({
  summary: 'Reset the command timings',
  operationId: 'resetCommandTimings',
  tags: operatorTag,
  responses: { '204': { description: 'Reset.' } },
}));
