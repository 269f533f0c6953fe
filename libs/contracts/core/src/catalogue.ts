import type { CatalogueEntry } from './message';
import { CommandReplyV1, QueryReplyV1 } from './replies';

/** The reply topic of a requesting instance, as catalogues name it. */
export const REPLY_ADDRESS = 'meridian.{service}.replies.{instance}';

export const catalogue: readonly CatalogueEntry[] = [
  { contract: CommandReplyV1, topic: REPLY_ADDRESS },
  { contract: QueryReplyV1, topic: REPLY_ADDRESS },
];
