import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { SYSTEM_ACCESS, SYSTEM_ACTOR } from '@meridian/identity/domain';
import { type BootstrapUser, ensureTenant, systemContext } from '@meridian/identity/data-access';
import { LOGGER } from '@meridian/shared/service-kit';
import { stableUuid } from '@meridian/shared/util';
import { createUser } from '../create-user/create-user.handler';
import { USER_DEPS, type UserDeps } from '../user-deps';

export const BOOTSTRAP_USERS = Symbol('meridian.identity.bootstrap-users');

/** The id identity gives a bootstrap user: the same at every start. */
export const bootstrapUserId = (tenantId: string, username: string): string =>
  stableUuid(`bootstrap-user:${tenantId}/${username}`);

/**
 * Creates the demo users of IDENTITY_BOOTSTRAP_USERS once (stable command ids: a restart appends
 * nothing), registering their tenants if need be. A user's password set later is not overwritten.
 */
@Injectable()
export class BootstrapUsers implements OnApplicationBootstrap {
  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(USER_DEPS) private readonly deps: UserDeps,
    @Inject(BOOTSTRAP_USERS) private readonly users: readonly BootstrapUser[],
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const now = new Date();
    for (const u of this.users) {
      await ensureTenant(this.deps.store, u.tenantId, now);
      const commandId = stableUuid(`bootstrap-user-create:${u.tenantId}/${u.username}`);
      const context = { ...systemContext(commandId, u.tenantId, SYSTEM_ACTOR), access: SYSTEM_ACCESS };
      const user = { ...u, userId: bootstrapUserId(u.tenantId, u.username), email: null };
      const { result } = await createUser(this.deps, user, context, now);
      const where = { tenantId: u.tenantId, username: u.username };
      if (!result.ok) this.logger.warn({ ...where, code: result.code }, 'bootstrap user not created');
      else if (!result.duplicate) this.logger.info(where, 'bootstrap user created');
    }
  }
}
