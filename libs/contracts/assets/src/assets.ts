import { z } from 'zod';
import { defineMessage, DisplayName } from '@meridian/contracts/core';
import { Clearance, TeamName } from '@meridian/contracts/identity';

export const assetKinds = ['drone', 'vehicle', 'sensor', 'crew'] as const;
export const AssetKind = z.enum(assetKinds);
export type AssetKind = z.infer<typeof AssetKind>;

export const assetStatuses = ['registered', 'available', 'assigned', 'maintenance', 'retired'] as const;
export const AssetStatus = z.enum(assetStatuses);
export type AssetStatus = z.infer<typeof AssetStatus>;

export const AssetName = DisplayName;
export const AssetId = z.uuid();

/**
 * An asset's access attributes (docs/permissions.md): `sensitivity` 0 (public) to 4, which a
 * principal's clearance must reach; `team`, which a team-restricted principal must belong to (null:
 * no team, visible to every team).
 */
export const AssetSensitivity = Clearance;
export const AssetTeam = TeamName.nullable();

/** Command: gateway → workflow (`meridian.workflow.commands`, key = asset id). */
export const RegisterAssetV1 = defineMessage(
  'meridian.workflow.asset.register.v1',
  'command',
  z.strictObject({ assetId: AssetId, name: AssetName, kind: AssetKind }),
  'Register a new field asset in the tenant given by the tenant-id header. Superseded by v2; workflow still ' +
    'accepts it as v2 with sensitivity 0 and no team.',
);

/** v1 plus the access attributes; absent, they default to sensitivity 0 and no team. */
export const RegisterAssetV2 = defineMessage(
  'meridian.workflow.asset.register.v2',
  'command',
  z.strictObject({
    assetId: AssetId,
    name: AssetName,
    kind: AssetKind,
    sensitivity: AssetSensitivity.default(0),
    team: AssetTeam.default(null),
  }),
  'Register a new field asset in the tenant given by the tenant-id header, with its sensitivity (0–4, default 0) ' +
    'and owning team (default none). The acting principal needs `assets:write`, a clearance of at least the ' +
    'sensitivity and, when team-restricted, membership of the team.',
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
  'An asset was registered. `version` is the asset stream version after the event. Superseded by v2: workflow ' +
    'publishes v2 only, also for assets registered before v2 (sensitivity 0, no team).',
);

/** v1 plus the access attributes. */
export const AssetRegisteredV2 = defineMessage(
  'meridian.workflow.asset.registered.v2',
  'event',
  AssetRegisteredV1.schema.extend({ sensitivity: AssetSensitivity, team: AssetTeam }),
  'An asset was registered, with its sensitivity (0–4) and owning team (null: none). `version` is the asset ' +
    'stream version after the event.',
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
