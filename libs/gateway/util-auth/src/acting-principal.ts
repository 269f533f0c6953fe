import { AsyncLocalStorage } from 'node:async_hooks';
import type { Principal } from '@meridian/contracts/identity';

/** The principal of the request being handled, and its JSON as it travels (`meridian-principal`). */
export interface ActingScope {
  principal: Principal | undefined;
  json: string | undefined;
}

/**
 * Who acts in the request being handled, for the ServiceBus to forward with every command and
 * query (Envelope.principal) without each controller handing it over. A storage of its own, not
 * the service kit's `logContext`: that one is spread into every log line, and a principal (its
 * region polygon above all) does not belong in logs. The authentication hook enters a fresh scope
 * before its first `await` (so the rest of the request runs inside it) and fills it once the
 * token is verified.
 */
const storage = new AsyncLocalStorage<ActingScope>();

/** Starts the request's scope; call it synchronously at the start of the request's first hook. */
export function enterActingScope(): ActingScope {
  const scope: ActingScope = { principal: undefined, json: undefined };
  storage.enterWith(scope);
  return scope;
}

export function setActing(scope: ActingScope, principal: Principal): void {
  scope.principal = principal;
  scope.json = JSON.stringify(principal);
}

/** The acting principal, or undefined outside an authenticated request. */
export const actingPrincipal = (): Principal | undefined => storage.getStore()?.principal;

/** The acting principal as JSON, for `MeridianRequest.principal`. */
export const actingPrincipalJson = (): string | undefined => storage.getStore()?.json;

/** Runs `work` as `principal` (background work a request started, tests). */
export const runAs = <T>(principal: Principal, work: () => T): T =>
  storage.run({ principal, json: JSON.stringify(principal) }, work);
