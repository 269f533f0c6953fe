import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { PrincipalAttributes } from '@meridian/contracts/identity';

/**
 * One row per user of a tenant, projected from identity's event store (PrincipalProjection).
 * `version` is the user's stream version: the principal snapshot carries it, so consumers keep
 * the newest. The password hash is stored as the event carries it: scrypt, sealed with SECRETS_KEY.
 */
@Entity({ schema: 'identity', name: 'users' })
@Index('users_username', ['tenantId', 'username'], { unique: true })
export class IdentityUser {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'text' })
  username!: string;

  @Column({ name: 'display_name', type: 'text' })
  displayName!: string;

  @Column({ type: 'text', nullable: true })
  email!: string | null;

  /** Sealed `scrypt$N$r$p$salt$hash`; null for a federated user (no local password). */
  @Column({ name: 'password_hash', type: 'text', nullable: true })
  passwordHash!: string | null;

  @Column({ name: 'federated_issuer', type: 'text', nullable: true })
  federatedIssuer!: string | null;

  @Column({ name: 'federated_subject', type: 'text', nullable: true })
  federatedSubject!: string | null;

  @Column({ type: 'text', array: true })
  roles!: string[];

  @Column({ type: 'jsonb' })
  attributes!: PrincipalAttributes;

  @Column({ type: 'boolean' })
  active!: boolean;

  @Column({ type: 'int' })
  version!: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'changed_at', type: 'timestamptz' })
  changedAt!: Date;
}
