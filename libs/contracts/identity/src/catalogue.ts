import { type CatalogueEntry, Topics } from '@meridian/contracts/core';
import { RegisterTenantV1, TenantRegisteredV1 } from './tenants';

export const catalogue: readonly CatalogueEntry[] = [
  { contract: RegisterTenantV1, topic: Topics.identityCommands },
  { contract: TenantRegisteredV1, topic: Topics.identityEvents },
];
