import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import { AuthErrors, type Principal } from '@meridian/contracts/identity';
import { problemFromCode } from '@meridian/gateway/util-http';
import { PRINCIPAL_SOURCE, type PrincipalSource } from './ports';
import { TokenVerifier } from './token-verifier';

export const BEARER_REALM = 'meridian';

/**
 * passport's HTTP bearer strategy (RFC 6750) with jose verification: the token from
 * `Authorization: Bearer …` is verified (`TokenVerifier`), then its subject is looked up in the
 * principal snapshots, which give the roles and attributes. A subject without an active snapshot
 * is AUTH.PRINCIPAL_UNKNOWN: a revoked user's token stops working with the snapshot, not at expiry.
 * Run per request by `Authentication` from a Fastify hook, not through passport's middleware chain.
 */
@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'meridian-bearer') {
  constructor(
    private readonly verifier: TokenVerifier,
    @Inject(PRINCIPAL_SOURCE) private readonly principals: PrincipalSource,
  ) {
    super({ realm: BEARER_REALM });
  }

  async validate(token: string): Promise<Principal> {
    const verified = await this.verifier.verify(token, new Date());
    const principal = this.principals.get(verified.tenantId, verified.subject);
    if (!principal) {
      throw problemFromCode(
        AuthErrors.principalUnknown,
        `${verified.subject} is not an active user or service account of tenant ${verified.tenantId}`,
      );
    }
    return principal;
  }
}
