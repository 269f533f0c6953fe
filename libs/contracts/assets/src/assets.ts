import { z } from 'zod';
import { defineMessage, DisplayName } from '@meridian/contracts/core';

export const assetKinds = ['drone', 'vehicle', 'sensor', 'crew'] as const;
export const AssetKind = z.enum(assetKinds);
export type AssetKind = z.infer<typeof AssetKind>;

export const assetStatuses = ['registered', 'available', 'assigned', 'maintenance', 'retired'] as const;
export const AssetStatus = z.enum(assetStatuses);
export type AssetStatus = z.infer<typeof AssetStatus>;

export const AssetName = DisplayName;
export const AssetId = z.uuid();

/** Command: gateway → workflow (`meridian.workflow.commands`, key = asset id). */
export const RegisterAssetV1 = defineMessage(
  'meridian.workflow.asset.register.v1',
  'command',
  z.strictObject({ assetId: AssetId, name: AssetName, kind: AssetKind }),
  'Register a new field asset in the tenant given by the tenant-id header.',
);

/** Integration event: workflow → everyone (`meridian.workflow.events`, key = asset id). */
export const AssetRegisteredV1 = defineMessage(
  'meridian.workflow.asset.registered.v1',
  'event',
  z.strictObject({
    assetId: AssetId,
    tenantId: z.string(),
    name: AssetName,
    kind: AssetKind,
    status: AssetStatus,
    version: z.number().int().positive(),
    registeredAt: z.iso.datetime({ offset: true }),
  }),
  'An asset was registered. `version` is the asset stream version after the event.',
);

export const AssetStatusChangedV1 = defineMessage(
  'meridian.workflow.asset.status-changed.v1',
  'event',
  z.strictObject({
    assetId: AssetId,
    tenantId: z.string(),
    status: AssetStatus,
    version: z.number().int().positive(),
    changedAt: z.iso.datetime({ offset: true }),
  }),
  "An asset's lifecycle status changed.",
);
