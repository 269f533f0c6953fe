import { z } from 'zod';
import { commandReply, type DataOf, defineMessage, type Envelope } from '@meridian/contracts';
import { CommandHandler, EventHandler, BatchHandler } from './decorators';
const A = defineMessage('a.v1', 'command', z.strictObject({ id: z.string() }), 'a');
const B = defineMessage('b.v1', 'event', z.strictObject({ n: z.number() }), 'b');
export class Ok {
  @CommandHandler(A, 't') a(cmd: Envelope<DataOf<typeof A>>) { return commandReply({ outcome: 'accepted', streamId: cmd.data.id, version: 1 }); }
  @EventHandler(B, 't') b(e: Envelope<{ n: number }>) { return e.data.n; }
  @BatchHandler(B, 't') async c(items: readonly Envelope<{ n: number }>[]) { void items; }
}
export class Bad {
  @CommandHandler(A, 't') a(cmd: Envelope<DataOf<typeof A>>) { return cmd.data.id; }
  @EventHandler(B, 't') b(e: Envelope<{ n: string }>) { return e; }
  @BatchHandler(B, 't') c(e: Envelope<{ n: number }>) { return e; }
}
