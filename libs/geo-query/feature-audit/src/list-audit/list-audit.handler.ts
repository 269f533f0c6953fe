import { Controller, Inject } from '@nestjs/common';
import type { Pool } from 'pg';
import { AuditQueryV1 } from '@meridian/contracts/audit';
import { CodedError, type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { AuthErrors, requirePrincipal } from '@meridian/contracts/identity';
import { AuditLog } from '@meridian/read-model/audit';
import { READ_POOL } from '@meridian/read-model/data-source';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';
import { can } from '@meridian/shared/policy';

/** A tenant's audit trail, oldest first, keyset-paged; only for principals who may read it. */
@Controller()
export class ListAuditHandler {
  private readonly log: AuditLog;

  constructor(@Inject(READ_POOL) pool: Pool) {
    this.log = new AuditLog(pool);
  }

  @QueryHandler(AuditQueryV1, Topics.geoQueryRequests)
  async list(request: Envelope<DataOf<typeof AuditQueryV1>>): Promise<ReplyBody> {
    const principal = requirePrincipal(request);
    // The gateway checked the role already; a request that reached here another way is refused too.
    if (!can(principal, 'audit:read', new Date())) {
      throw new CodedError(AuthErrors.forbiddenRole, 'audit:read is needed to read the audit trail');
    }
    const { from, to, actor, resource, limit, after } = request.data;
    const page = await this.log.list(principal.tenantId, { from, to, actor, resource }, limit, after);
    return queryReply({ outcome: 'ok', result: page });
  }
}
