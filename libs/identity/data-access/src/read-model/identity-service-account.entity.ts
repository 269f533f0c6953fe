import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { PrincipalAttributes } from '@meridian/contracts/identity';

/**
 * One row per service account (an OAuth client), projected from identity's event store. Client ids
 * are global, hence the key. The secret stays sealed with SECRETS_KEY; the directory opens it only
 * for the token endpoint's comparison.
 */
@Entity({ schema: 'identity', name: 'service_accounts' })
@Index('service_accounts_tenant', ['tenantId', 'clientId'])
export class IdentityServiceAccount {
  @PrimaryColumn({ name: 'client_id', type: 'text' })
  clientId!: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  secret!: string;

  @Column({ type: 'text', array: true })
  roles!: string[];

  @Column({ type: 'jsonb' })
  attributes!: PrincipalAttributes;

  @Column({ name: 'platform_admin', type: 'boolean' })
  platformAdmin!: boolean;

  @Column({ type: 'boolean' })
  active!: boolean;

  @Column({ type: 'int' })
  version!: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'changed_at', type: 'timestamptz' })
  changedAt!: Date;
}
