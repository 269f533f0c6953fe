import { type CatalogueEntry, Topics } from '@meridian/contracts/core';
import {
  CreateServiceAccountV1,
  DisableServiceAccountV1,
  ServiceAccountCreatedV1,
  ServiceAccountDisabledV1,
  ServiceAccountMembershipChangedV1,
  SetServiceAccountMembershipV1,
} from './service-accounts';
import { RegisterTenantV1, TenantRegisteredV1 } from './tenants';
import {
  CreateUserV1,
  DisableUserV1,
  FederatedLoginV1,
  SetUserMembershipV1,
  UserCreatedV1,
  UserDisabledV1,
  UserMembershipChangedV1,
} from './users';
import { RotateSigningKeyV1 } from './oidc';
import { ConfigureFederationV1, FederationConfiguredV1 } from './federation';
import { SigningKeyV1 } from './keys';
import { PrincipalSnapshotV1 } from './principals';

export const catalogue: readonly CatalogueEntry[] = [
  { contract: RegisterTenantV1, topic: Topics.identityCommands },
  { contract: TenantRegisteredV1, topic: Topics.identityEvents },
  ...[CreateUserV1, SetUserMembershipV1, DisableUserV1, FederatedLoginV1].map((contract) => ({
    contract,
    topic: Topics.identityCommands,
  })),
  ...[UserCreatedV1, UserMembershipChangedV1, UserDisabledV1].map((contract) => ({
    contract,
    topic: Topics.identityEvents,
  })),
  ...[CreateServiceAccountV1, SetServiceAccountMembershipV1, DisableServiceAccountV1].map((contract) => ({
    contract,
    topic: Topics.identityCommands,
  })),
  ...[ServiceAccountCreatedV1, ServiceAccountMembershipChangedV1, ServiceAccountDisabledV1].map((contract) => ({
    contract,
    topic: Topics.identityEvents,
  })),
  { contract: RotateSigningKeyV1, topic: Topics.identityCommands },
  { contract: ConfigureFederationV1, topic: Topics.identityCommands },
  { contract: FederationConfiguredV1, topic: Topics.identityEvents },
  // The gateway's inputs: public signing keys and principal snapshots (compacted topics).
  { contract: SigningKeyV1, topic: Topics.identityKeys },
  { contract: PrincipalSnapshotV1, topic: Topics.identityPrincipals },
];
