import type { Json } from '@meridian/gateway/util-http';

/** `from` (required) and `to` (default now) of a history query, at most `maxDays` apart. */
export const historyWindowParameters = (maxDays: number): Json[] => [
  {
    name: 'from',
    in: 'query',
    required: true,
    schema: { type: 'string', format: 'date-time' },
    description: 'Start of the half-open window [from, to), RFC 3339 with an offset.',
  },
  {
    name: 'to',
    in: 'query',
    required: false,
    schema: { type: 'string', format: 'date-time' },
    description: `End of the window (default: now); at most ${maxDays} days after \`from\`.`,
  },
];
