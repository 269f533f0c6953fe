import type { FailureKind } from '@meridian/shared/messaging';
import type { Log } from '@meridian/shared/util';

/** A silent log that records how a consumer classified each failed attempt (to show an outage hit the handler). */
export const failureKindLog = (kinds: FailureKind[]): Log => ({
  info: () => undefined,
  warn: (obj) => {
    const kind = (obj as { kind?: FailureKind }).kind;
    if (kind) kinds.push(kind);
  },
  error: () => undefined,
});
