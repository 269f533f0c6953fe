import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '@meridian/contracts/identity';

/** A request the authentication hook has passed: public paths have no principal. */
export type AuthenticatedRequest = FastifyRequest & { principal?: Principal };

export const principalOf = (request: FastifyRequest): Principal | undefined =>
  (request as AuthenticatedRequest).principal;

/** The authenticated principal (roles and attributes from its latest snapshot), on any guarded route. */
export const Actor = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = principalOf(ctx.switchToHttp().getRequest<FastifyRequest>());
  if (!principal) throw new Error('@Actor() on a route the authentication hook did not authenticate');
  return principal;
});
