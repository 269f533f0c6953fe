import { z } from 'zod';
import { defineMessage } from './message';

/** Reply to a command: accepted with the new stream version, or rejected with a stable code. */
export const CommandReplyV1 = defineMessage(
  'meridian.reply.command.v1',
  'reply',
  z.discriminatedUnion('outcome', [
    z.strictObject({ outcome: z.literal('accepted'), streamId: z.string(), version: z.number().int() }),
    z.strictObject({ outcome: z.literal('rejected'), code: z.string(), detail: z.string() }),
  ]),
  'Outcome of a command, sent to the reply-to topic with the command correlation id.',
);
export type CommandReply = z.infer<typeof CommandReplyV1.schema>;

/** Reply to a query: the result, or an error with a stable code. */
export const QueryReplyV1 = defineMessage(
  'meridian.reply.query.v1',
  'reply',
  z.discriminatedUnion('outcome', [
    z.strictObject({ outcome: z.literal('ok'), result: z.unknown() }),
    z.strictObject({ outcome: z.literal('error'), code: z.string(), detail: z.string() }),
  ]),
  'Outcome of a query, sent to the reply-to topic with the query correlation id.',
);
export type QueryReply = z.infer<typeof QueryReplyV1.schema>;

export const commandReply = (data: CommandReply) => ({
  type: CommandReplyV1.type,
  dataschema: CommandReplyV1.dataschema,
  data,
});
export const queryReply = (data: QueryReply) => ({
  type: QueryReplyV1.type,
  dataschema: QueryReplyV1.dataschema,
  data,
});
export const commandRejection = (code: string, detail: string) => commandReply({ outcome: 'rejected', code, detail });
export const queryRejection = (code: string, detail: string) => queryReply({ outcome: 'error', code, detail });
