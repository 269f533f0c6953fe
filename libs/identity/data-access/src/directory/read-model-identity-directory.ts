import { randomBytes } from 'node:crypto';
import type { DataSource, Repository } from 'typeorm';
import type { IdentityDirectory, LoginAccount, ServiceClient } from '@meridian/identity/domain';
import { openSecret } from '@meridian/shared/util';
import { IdentityServiceAccount } from '../read-model/identity-service-account.entity';
import { IdentityUser } from '../read-model/identity-user.entity';
import { hashPassword, verifyPasswordHash } from '../secrets/password-hash';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const toAccount = (u: IdentityUser): LoginAccount => ({
  tenantId: u.tenantId,
  subject: u.userId,
  username: u.username,
  displayName: u.displayName,
  email: u.email,
});

/**
 * The OpenID Connect provider's view of accounts and clients, answered from identity's read
 * models. Secrets are opened here and nowhere else: the password hash to verify a login, the
 * client secret for the token endpoint's comparison.
 */
export class ReadModelIdentityDirectory implements IdentityDirectory {
  private readonly users: Repository<IdentityUser>;
  private readonly accounts: Repository<IdentityServiceAccount>;
  private decoy: Promise<string> | null = null;

  constructor(
    dataSource: DataSource,
    private readonly secretsKey: Buffer,
  ) {
    this.users = dataSource.getRepository(IdentityUser);
    this.accounts = dataSource.getRepository(IdentityServiceAccount);
  }

  /**
   * Every attempt costs one scrypt: an unknown, federated or disabled user is checked against a
   * decoy hash, so the time taken does not tell which usernames exist.
   */
  async verifyPassword(tenantId: string, username: string, password: string): Promise<LoginAccount | null> {
    const user = await this.users.findOneBy({ tenantId, username: username.trim().toLowerCase() });
    const stored = user?.passwordHash ? this.openHash(user.passwordHash) : null;
    const matches = await verifyPasswordHash(password, stored ?? (await this.decoyHash()));
    return matches && stored !== null && user?.active ? toAccount(user) : null;
  }

  async findAccount(tenantId: string, subject: string): Promise<LoginAccount | null> {
    if (!UUID.test(subject)) return null;
    const user = await this.users.findOneBy({ tenantId, userId: subject.toLowerCase(), active: true });
    return user ? toAccount(user) : null;
  }

  async findServiceClient(clientId: string): Promise<ServiceClient | null> {
    const account = await this.accounts.findOneBy({ clientId, active: true });
    if (!account) return null;
    return {
      tenantId: account.tenantId,
      clientId: account.clientId,
      secret: openSecret(this.secretsKey, account.secret),
      name: account.name,
      platformAdmin: account.platformAdmin,
    };
  }

  /** A hash that cannot open (another SECRETS_KEY) counts as no password: the login fails, it does not throw. */
  private openHash(sealed: string): string | null {
    try {
      return openSecret(this.secretsKey, sealed);
    } catch {
      return null;
    }
  }

  private decoyHash(): Promise<string> {
    this.decoy ??= hashPassword(randomBytes(24).toString('base64url'));
    return this.decoy;
  }
}
