import { createRequire } from 'node:module';

/** The part of kafkajs's per-connection request queue (`src/network/requestQueue`) the fix touches. */
export interface RequestQueueState {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
}

/** kafkajs's own interval for re-checking a queue whose requests wait (throttled or over the in-flight limit). */
const CHECK_PENDING_REQUESTS_INTERVAL = 10;

/**
 * kafkajs 2.2.4's `scheduleCheckPendingRequests` arms its timer whether or not a request is
 * waiting, and with nothing waiting the delay is negative (1 ms), so every connection of every
 * client re-runs the check about a thousand times a second, forever (tulios/kafkajs#1556; the fix,
 * #1667, is not released and kafkajs is in maintenance). Measured here: about 0.04 cores per idle
 * service, and a share of every busy one. This is the version from #1667: a timer only while
 * requests wait. Nothing is lost: a request that cannot go at once is queued with this call, and
 * every answered or timed-out request runs `checkPendingRequests` itself.
 */
export function scheduleCheckPendingRequests(this: RequestQueueState): void {
  if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
  const throttled = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    throttled > 0 ? throttled : CHECK_PENDING_REQUESTS_INTERVAL,
  );
}

/** The one line of the original that shows the defect; a kafkajs without it is left alone. */
const DEFECT =
  /if \(this\.pending\.length > 0\) \{\s*scheduleAt = scheduleAt > 0 \? scheduleAt : CHECK_PENDING_REQUESTS_INTERVAL\s*\}\s*this\.throttleCheckTimeoutId = setTimeout/;

/**
 * Replaces the method on kafkajs's RequestQueue when the installed kafkajs has the defect (checked
 * on the method's source, so an upgraded kafkajs that fixed it is not touched). Returns whether
 * it patched. Idempotent.
 */
export function fixKafkajsIdleTimers(): boolean {
  const load = createRequire(__filename);
  const RequestQueue = load('kafkajs/src/network/requestQueue') as {
    prototype: { scheduleCheckPendingRequests: (this: RequestQueueState) => void };
  };
  const current = RequestQueue.prototype.scheduleCheckPendingRequests;
  if (current === scheduleCheckPendingRequests) return true;
  if (!DEFECT.test(current.toString())) return false;
  RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  return true;
}
