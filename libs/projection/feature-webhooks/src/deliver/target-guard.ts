import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { WebhookErrors } from '@meridian/contracts/webhooks';
import { type AddressClass, classifyAddress } from './address-class';

/**
 * The SSRF guard: which URLs a webhook may name, and which address a request may connect to.
 * Checked when a subscription is created or changed and again before every attempt, against the
 * addresses the name resolves to then; the request connects to the address checked (no second
 * lookup, so DNS rebinding cannot slip another address in between).
 */
export interface TargetPolicy {
  /**
   * Development mode (`WEBHOOKS_ALLOW_LOOPBACK`): loopback targets (127.0.0.0/8, ::1, localhost)
   * are allowed too, over `http` or `https`. Every other non-public address stays refused.
   */
  readonly allowLoopback: boolean;
}

export type Refusal = {
  readonly ok: false;
  readonly code: typeof WebhookErrors.webhookUrlInvalid | typeof WebhookErrors.webhookTargetForbidden;
  /** Public text (API answers, the attempts log): never an address the name resolved to. */
  readonly reason: string;
  /** For the service's own log only: the resolved address that was refused. */
  readonly address?: string;
  /** The lookup did not answer in time (or failed): the name may well be fine later. */
  readonly unresolved?: true;
};

export type ParsedTarget = { readonly ok: true; readonly url: URL; readonly host: string } | Refusal;

export interface VettedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

export type ResolvedTarget =
  ({ readonly ok: true; readonly url: URL; readonly host: string } & VettedAddress) | Refusal;

/** `dns.lookup` with `all: true`, injectable for tests. */
export type LookupAll = (host: string) => Promise<readonly { address: string; family: number }[]>;

const systemLookup: LookupAll = (host) => dnsLookup(host, { all: true, verbatim: true });

/** How long a lookup may take when no other bound is given. */
export const DEFAULT_LOOKUP_TIMEOUT_MS = 5000;

export interface ResolveOptions {
  readonly lookup?: LookupAll;
  /** The lookup's bound: past it the name counts as not resolving (the lookup itself is left to finish). */
  readonly timeoutMs?: number;
}

class LookupTimeout extends Error {
  readonly code = 'ETIMEOUT';
}

/** `lookup(host)`, rejected with ETIMEOUT after `timeoutMs`. */
async function lookupWithin(
  lookup: LookupAll,
  host: string,
  timeoutMs: number,
): Promise<Awaited<ReturnType<LookupAll>>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new LookupTimeout(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([lookup(host), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const invalid = (reason: string): Refusal => ({ ok: false, code: WebhookErrors.webhookUrlInvalid, reason });
const forbidden = (reason: string, address?: string): Refusal => ({
  ok: false,
  code: WebhookErrors.webhookTargetForbidden,
  reason,
  ...(address !== undefined ? { address } : {}),
});

const isLocalhostName = (host: string): boolean => host === 'localhost' || host.endsWith('.localhost');

/** The hostname without IPv6 brackets and a trailing dot. */
const bareHost = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');

/** Whether an address of this class may be called under the policy. */
function allowed(cls: AddressClass, policy: TargetPolicy): boolean {
  return cls === 'public' || (cls === 'loopback' && policy.allowLoopback);
}

/**
 * The URL's form alone: absolute, `https` (or, in development mode, `http` to a loopback literal or a
 * name, whose addresses `resolveTarget` then requires to be loopback), no credentials.
 */
export function parseTarget(raw: string, policy: TargetPolicy): ParsedTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return invalid('not an absolute URL');
  }
  if (url.username !== '' || url.password !== '') return invalid('a URL with credentials (user:password@)');
  const host = bareHost(url);
  if (host === '') return invalid('a URL without a host');
  if (url.protocol === 'https:') return { ok: true, url, host };
  if (url.protocol !== 'http:') return invalid(`the scheme ${url.protocol.slice(0, -1)} (https only)`);
  if (!policy.allowLoopback) return invalid('plain http (https only)');
  // A name is let through here: `resolveTarget` refuses http unless every address it resolves to is loopback.
  if (isIP(host) !== 0 && classifyAddress(host) !== 'loopback') {
    return invalid('plain http to a host that is not loopback (development mode allows http to loopback only)');
  }
  return { ok: true, url, host };
}

/**
 * Parses the URL and resolves its host: every address it resolves to must be allowed (a name with
 * one private address among public ones is refused), and the first is the one to connect to. An
 * IP literal is taken as it is; `localhost` is loopback without asking DNS. The lookup is bounded
 * (`timeoutMs`, default 5 s): a name that does not answer in time does not resolve. A refusal's
 * `reason` names the URL's host, never an address it resolved to (that is in `address`, to log).
 */
export async function resolveTarget(
  raw: string,
  policy: TargetPolicy,
  options: ResolveOptions = {},
): Promise<ResolvedTarget> {
  const parsed = parseTarget(raw, policy);
  if (!parsed.ok) return parsed;
  const { url, host } = parsed;
  const literal = isIP(host) !== 0;
  let addresses: readonly { address: string; family: number }[];
  if (literal) {
    addresses = [{ address: host, family: isIP(host) }];
  } else if (isLocalhostName(host)) {
    addresses = [{ address: '127.0.0.1', family: 4 }];
  } else {
    try {
      addresses = await lookupWithin(
        options.lookup ?? systemLookup,
        host,
        options.timeoutMs ?? DEFAULT_LOOKUP_TIMEOUT_MS,
      );
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const why =
        err instanceof LookupTimeout
          ? `timed out after ${options.timeoutMs ?? DEFAULT_LOOKUP_TIMEOUT_MS} ms`
          : typeof code === 'string'
            ? code
            : 'lookup failed';
      return { ...forbidden(`${host} does not resolve (${why})`), unresolved: true };
    }
  }
  if (addresses.length === 0) return forbidden(`${host} resolves to no address`);
  for (const a of addresses) {
    const cls = classifyAddress(a.address);
    if (allowed(cls, policy)) continue;
    // The literal the caller wrote may be echoed; what a name resolves to stays in the service's log.
    return literal
      ? forbidden(`${host} is a ${cls} address`, a.address)
      : forbidden(`${host} resolves to a non-public address`, a.address);
  }
  if (url.protocol === 'http:' && addresses.some((a) => classifyAddress(a.address) !== 'loopback')) {
    return invalid('plain http to a host that is not loopback');
  }
  const first = addresses[0];
  return { ok: true, url, host, address: first.address, family: first.family === 6 ? 6 : 4 };
}

/** The lookup's bound at create and update: a slow name is accepted (every attempt checks again). */
export const SUBSCRIPTION_LOOKUP_TIMEOUT_MS = 2000;

/**
 * The check at create and update: the form, and the addresses when the name resolves now. A name
 * that does not resolve (yet), or not within `timeoutMs` (default 2 s), is accepted: every attempt
 * checks again and fails while it does not.
 */
export async function checkSubscriptionUrl(
  raw: string,
  policy: TargetPolicy,
  options: ResolveOptions = {},
): Promise<Refusal | null> {
  const resolved = await resolveTarget(raw, policy, {
    ...options,
    timeoutMs: options.timeoutMs ?? SUBSCRIPTION_LOOKUP_TIMEOUT_MS,
  });
  if (resolved.ok || resolved.unresolved) return null;
  return resolved;
}
