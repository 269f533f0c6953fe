import type { PoolClient } from 'pg';
import {
  ZoneArchivedV1,
  ZoneCreatedV1,
  ZoneCreatedV2,
  ZoneReplacedV1,
  ZoneReplacedV2,
} from '@meridian/contracts/zones';
import {
  type ZoneArchived,
  type ZoneCreated,
  type ZoneReplaced,
  ZoneRows,
  ZONES_TABLE,
} from '@meridian/read-model/zones';
import type { Queryable } from '@meridian/shared/event-store';
import { checked, NOTHING, sum, writeGuarded } from './apply';
import type { Applied, RebuildProjection } from './rebuild';
import { type SourceEvent, waves } from './source';

type ZoneChange =
  | { readonly kind: 'created'; readonly data: ZoneCreated }
  | { readonly kind: 'replaced'; readonly data: ZoneReplaced }
  | { readonly kind: 'archived'; readonly data: ZoneArchived };

/**
 * A zone event checked against its contract; 'refused' when it fails it, null when it is not a zone
 * event. Workflow maps creations and replacements to v2 now; a v1 one is a zone of no team.
 */
function zoneChange(e: SourceEvent): ZoneChange | 'refused' | null {
  switch (e.type) {
    case ZoneCreatedV2.type: {
      const data = checked(ZoneCreatedV2, e);
      return data ? { kind: 'created', data } : 'refused';
    }
    case ZoneCreatedV1.type: {
      const data = checked(ZoneCreatedV1, e);
      return data ? { kind: 'created', data: { ...data, team: null } } : 'refused';
    }
    case ZoneReplacedV2.type: {
      const data = checked(ZoneReplacedV2, e);
      return data ? { kind: 'replaced', data } : 'refused';
    }
    case ZoneReplacedV1.type: {
      const data = checked(ZoneReplacedV1, e);
      return data ? { kind: 'replaced', data: { ...data, team: null } } : 'refused';
    }
    case ZoneArchivedV1.type: {
      const data = checked(ZoneArchivedV1, e);
      return data ? { kind: 'archived', data } : 'refused';
    }
    default:
      return null;
  }
}

const isChange = (c: ZoneChange | 'refused' | null): c is ZoneChange => c !== null && c !== 'refused';

/**
 * read.zones from the zone events, written with ZoneWriter's own statements (ZoneRows) and none of
 * its geofencing: a rebuild emits no transitions and leaves zone_visits alone.
 *
 * `evaluated_active` says whether geofencing last counted the zone as valid. Events do not decide
 * it — the validity schedule flips it when a window opens or closes, by the clock, and only when it
 * acts — so the rebuild keeps geofencing's own record: under the swap's lock it is carried over
 * from the live row at the same version. A row the live table lacks or holds at another version
 * gets false, since geofencing never evaluated that version: typically an event the live projector
 * had not received yet, whose own delivery then changes nothing (the row has its version). The
 * validity schedule re-evaluates such a zone if it is valid now, making the entries and exits the
 * projector would have made (cause `validity`, one schedule interval later); an archive's stays
 * close at the assets' next fixes.
 */
export class ZonesRebuild implements RebuildProjection {
  readonly table = ZONES_TABLE;

  async apply(events: readonly SourceEvent[], target: string, via: Queryable): Promise<Applied> {
    const changes = events.map(zoneChange);
    let total: Applied = { changed: 0, refused: changes.filter((c) => c === 'refused').length };
    for (const wave of waves(changes.filter(isChange), (c) => c.data.zoneId)) {
      total = sum(total, await this.write(via, target, wave));
    }
    return total;
  }

  async settle(client: PoolClient, live: string, shadow: string): Promise<void> {
    await client.query(
      `UPDATE ${shadow} s SET evaluated_active = l.evaluated_active
       FROM ${live} l
       WHERE l.zone_id = s.zone_id AND l.version = s.version AND s.evaluated_active <> l.evaluated_active`,
    );
  }

  /** Changes of distinct zones: one statement per kind. */
  private async write(via: Queryable, target: string, wave: readonly ZoneChange[]): Promise<Applied> {
    const rows = new ZoneRows(target);
    const created: ZoneCreated[] = [];
    const replaced: ZoneReplaced[] = [];
    const archived: ZoneArchived[] = [];
    for (const c of wave) {
      if (c.kind === 'created') created.push(c.data);
      else if (c.kind === 'replaced') replaced.push(c.data);
      else archived.push(c.data);
    }
    let total = NOTHING;
    total = sum(total, await writeGuarded(via, created, (b) => rows.created(via, b)));
    total = sum(total, await writeGuarded(via, replaced, (b) => rows.replaced(via, b)));
    return sum(total, await writeGuarded(via, archived, (b) => rows.archived(via, b)));
  }
}
