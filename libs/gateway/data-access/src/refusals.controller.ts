import { Controller, Get } from '@nestjs/common';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { refusals } from '@meridian/gateway/util-http';
import './refusals.openapi';

/**
 * How many requests this gateway refused since it started, per stable code (401, 403, 429, and
 * commands refused with an AUTH.* code). Each refusal is also logged at `warn`. Refused attempts
 * are not events: they change nothing, so the audit trail (GET /v1/audit) does not hold them.
 */
@Controller('internal/refusals')
@RequirePermission('audit:read')
export class RefusalsController {
  @Get()
  get(): ReturnType<typeof refusals.snapshot> {
    return refusals.snapshot();
  }
}
