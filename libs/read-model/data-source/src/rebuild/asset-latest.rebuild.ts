import type { Pool } from 'pg';
import { AssetRegisteredV1, AssetRegisteredV2, AssetStatusChangedV1 } from '@meridian/contracts/assets';
import {
  ASSET_LATEST_TABLE,
  AssetLatestWriter,
  type AssetRegistration,
  type StatusChange,
} from '@meridian/read-model/assets';
import type { Queryable } from '@meridian/shared/event-store';
import { checked, sum, writeGuarded } from './apply';
import { NewestFixes, type NewestFixesOptions } from './newest-fixes';
import type { Applied, RebuildProjection } from './rebuild';
import { type SourceEvent, waves } from './source';

type AssetChange =
  | { readonly kind: 'registered'; readonly data: AssetRegistration }
  | { readonly kind: 'status'; readonly data: StatusChange };

/** An asset event checked against its contract and cut to what AssetEventsProjector passes on; null: not one. */
function assetChange(e: SourceEvent): AssetChange | 'refused' | null {
  switch (e.type) {
    case AssetRegisteredV2.type: {
      const d = checked(AssetRegisteredV2, e);
      if (!d) return 'refused';
      const { assetId, tenantId, name, kind, status, version, sensitivity, team } = d;
      return { kind: 'registered', data: { assetId, tenantId, name, kind, status, version, sensitivity, team } };
    }
    // Workflow maps every registration to v2 now; a v1 one is a public asset of no team, as for the projector.
    case AssetRegisteredV1.type: {
      const d = checked(AssetRegisteredV1, e);
      if (!d) return 'refused';
      const { assetId, tenantId, name, kind, status, version } = d;
      return {
        kind: 'registered',
        data: { assetId, tenantId, name, kind, status, version, sensitivity: 0, team: null },
      };
    }
    case AssetStatusChangedV1.type: {
      const d = checked(AssetStatusChangedV1, e);
      if (!d) return 'refused';
      const { assetId, tenantId, status, version } = d;
      return { kind: 'status', data: { assetId, tenantId, status, version } };
    }
    default:
      return null;
  }
}

const isChange = (c: AssetChange | 'refused' | null): c is AssetChange => c !== null && c !== 'refused';

/**
 * read.asset_latest from workflow's asset events, written by AssetLatestWriter's own statements,
 * and from the stored fixes (NewestFixes). The two inputs touch separate columns and both are
 * tenant-guarded, so their order does not matter. Unlike zones, nothing to reconcile: the asset
 * projector has no side effects, so a registration the rebuild applied first only makes the
 * projector's own write of it a no-op. updated_at is the rebuild's time.
 */
export class AssetLatestRebuild implements RebuildProjection {
  readonly table = ASSET_LATEST_TABLE;
  readonly side: NewestFixes;
  private readonly writers = new Map<string, AssetLatestWriter>();

  constructor(
    private readonly pool: Pool,
    options: NewestFixesOptions = {},
  ) {
    this.side = new NewestFixes(options);
  }

  async apply(events: readonly SourceEvent[], target: string, via: Queryable): Promise<Applied> {
    const changes = events.map(assetChange);
    let total: Applied = { changed: 0, refused: changes.filter((c) => c === 'refused').length };
    const writer = this.writerFor(target);
    for (const wave of waves(changes.filter(isChange), (c) => c.data.assetId)) {
      const registrations: AssetRegistration[] = [];
      const statuses: StatusChange[] = [];
      for (const c of wave) {
        if (c.kind === 'registered') registrations.push(c.data);
        else statuses.push(c.data);
      }
      total = sum(total, await writeGuarded(via, registrations, (b) => writer.writeRegistrations(b, via)));
      total = sum(total, await writeGuarded(via, statuses, (b) => writer.writeStatuses(b, via)));
    }
    return total;
  }

  private writerFor(table: string): AssetLatestWriter {
    const writer = this.writers.get(table) ?? new AssetLatestWriter(this.pool, { table });
    this.writers.set(table, writer);
    return writer;
  }
}
