import { z } from 'zod';
import { type GatewaySettings, PrincipalDirectory } from '@meridian/gateway/data-access';
import { JSON_TYPE, type Link, pageParams, parseOr400, problemFromCode, servePage } from '@meridian/gateway/util-http';
import { type PrincipalKind, principalView } from './admin-commands';

export const ListParams = z.strictObject({ ...pageParams });

export type PrincipalView = ReturnType<typeof principalView>;

export interface PrincipalList {
  readonly items: readonly PrincipalView[];
  readonly numberReturned: number;
  readonly links: readonly Link[];
}

/**
 * Users and service accounts as the gateway knows them: from the principal snapshots it keeps in
 * memory (the topic identity publishes), so listing them asks no service. Paged by subject.
 */
export async function listPrincipals(
  directory: PrincipalDirectory,
  settings: GatewaySettings,
  tenantId: string,
  kind: PrincipalKind,
  path: string,
  query: Record<string, unknown>,
): Promise<PrincipalList> {
  const params = parseOr400(ListParams, query);
  const page = await servePage(
    {
      baseUrl: settings.publicUrl,
      path,
      scope: `${kind}:${tenantId}`,
      type: JSON_TYPE,
      limit: params.limit,
      cursor: params.cursor,
    },
    async (limit, after) => {
      const { items, more } = directory.list(tenantId, kind, limit, after);
      const last = items[items.length - 1];
      return { items: items.map(principalView), after: more && last ? last.principal.subject : null };
    },
  );
  return { items: page.items, numberReturned: page.numberReturned, links: page.links };
}

/** One active principal of the tenant, or 404 with the kind's code. */
export function getPrincipal(
  directory: PrincipalDirectory,
  tenantId: string,
  kind: PrincipalKind,
  subject: string,
  notFound: string,
): PrincipalView {
  const entry = directory.entry(tenantId, subject);
  if (!entry || entry.principal.kind !== kind) throw problemFromCode(notFound, `${kind} ${subject} not found`);
  return principalView(entry);
}
