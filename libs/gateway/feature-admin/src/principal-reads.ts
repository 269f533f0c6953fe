import { z } from 'zod';
import type { ErrorCode } from '@meridian/contracts/core';
import { AccountErrors, type Principal, type PrincipalAttributes } from '@meridian/contracts/identity';
import type { PrincipalDirectory, PrincipalEntry } from '@meridian/gateway/data-access';
import { JSON_TYPE, type Link, pageParams, parseOr400, problemFromCode, servePage } from '@meridian/gateway/util-http';

export const ListPrincipalsParams = z.strictObject({ ...pageParams });

/** A user or service account as the admin API shows it (a snapshot holds no secret to leak). */
export interface PrincipalView {
  readonly name: string;
  readonly roles: readonly string[];
  readonly attributes: PrincipalAttributes;
  /** False once disabled: its tokens are refused and it cannot log in. */
  readonly active: boolean;
  readonly version: number;
}

export type UserView = PrincipalView & { readonly id: string };
export type ServiceAccountView = PrincipalView & { readonly clientId: string };

const viewOf = ({ principal: p, name, active, version }: PrincipalEntry): PrincipalView => ({
  name,
  roles: p.roles,
  attributes: { region: p.region, clearance: p.clearance, teams: p.teams, hours: p.hours },
  active,
  version,
});

export const userView = (entry: PrincipalEntry): UserView => ({ id: entry.principal.subject, ...viewOf(entry) });

export const serviceAccountView = (entry: PrincipalEntry): ServiceAccountView => ({
  clientId: entry.principal.subject,
  ...viewOf(entry),
});

/** How one kind of principal reads: its kind, its list's path, its view and its 404 code. */
export interface PrincipalReads<V> {
  readonly kind: Principal['kind'];
  readonly path: string;
  readonly view: (entry: PrincipalEntry) => V;
  readonly notFound: ErrorCode;
}

export const userReads: PrincipalReads<UserView> = {
  kind: 'user',
  path: '/v1/users',
  view: userView,
  notFound: AccountErrors.userNotFound,
};

export const serviceAccountReads: PrincipalReads<ServiceAccountView> = {
  kind: 'service-account',
  path: '/v1/service-accounts',
  view: serviceAccountView,
  notFound: AccountErrors.serviceAccountNotFound,
};

/**
 * One page of the tenant's principals of a kind, disabled ones included, in subject order, from the
 * principal snapshots the gateway keeps (the topic identity publishes): listing asks no service.
 */
export async function listPrincipals<V>(
  directory: PrincipalDirectory,
  baseUrl: string,
  tenantId: string,
  reads: PrincipalReads<V>,
  query: Record<string, unknown>,
): Promise<{ items: V[]; numberReturned: number; links: Link[] }> {
  const params = parseOr400(ListPrincipalsParams, query);
  return servePage(
    {
      baseUrl,
      path: reads.path,
      scope: `${reads.kind}:${tenantId}`,
      type: JSON_TYPE,
      limit: params.limit,
      cursor: params.cursor,
    },
    async (limit, after) => {
      const page = directory.list(tenantId, reads.kind, limit, after);
      const last = page.items[page.items.length - 1];
      return { items: page.items.map(reads.view), after: page.more && last ? last.principal.subject : null };
    },
  );
}

/** A principal of the caller's tenant, or 404 with the kind's code (another tenant's id included). */
export function getPrincipal<V>(
  directory: PrincipalDirectory,
  tenantId: string,
  reads: PrincipalReads<V>,
  subject: string,
): V {
  const entry = directory.entry(tenantId, subject);
  if (!entry || entry.principal.kind !== reads.kind) {
    throw problemFromCode(reads.notFound, `no ${reads.kind} ${subject} in this tenant`);
  }
  return reads.view(entry);
}
