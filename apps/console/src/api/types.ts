/**
 * The shapes the console reads from Meridian's public API (docs/api/openapi.json), declared here
 * rather than imported: the console is a client like any other and depends only on the HTTP API.
 */
import type { Feature, FeatureCollection, LineString, MultiLineString, Point, Polygon, MultiPolygon } from 'geojson';

export type AssetKind = 'drone' | 'vehicle' | 'sensor' | 'crew';
export type AssetStatus = string;

export interface AssetProperties {
  readonly name: string;
  readonly kind: AssetKind;
  readonly status: AssetStatus;
  readonly lastSeen: string | null;
  readonly speed?: number | null;
  readonly heading?: number | null;
  readonly version?: number;
  readonly sensitivity?: number;
  readonly team?: string | null;
}
export type AssetFeature = Feature<Point | null, AssetProperties> & { id: string };

export interface Link {
  readonly rel: string;
  readonly href: string;
}

export interface Page {
  readonly numberReturned: number;
  readonly links: readonly Link[];
}

export type AssetPage = FeatureCollection<Point | null, AssetProperties> & Page & { features: AssetFeature[] };

export type ZoneKind = 'geofence' | 'restricted' | 'area_of_interest' | 'mission_area';
export interface ZoneProperties {
  readonly name: string;
  readonly kind: ZoneKind;
  readonly validFrom: string | null;
  readonly validTo: string | null;
  readonly sensitivity?: number;
  readonly team?: string | null;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly archivedAt: string | null;
}
export type ZoneFeature = Feature<Polygon | MultiPolygon, ZoneProperties> & { id: string };
export type ZonePage = FeatureCollection<Polygon | MultiPolygon, ZoneProperties> & Page & { features: ZoneFeature[] };

export interface Visit {
  readonly zoneId: string;
  readonly assetId: string;
  readonly enteredAt: string;
  readonly exitedAt: string | null;
}
export interface VisitPage extends Page {
  readonly visits: readonly Visit[];
}

export interface TrackProperties {
  readonly times: readonly string[];
  readonly from: string;
  readonly to: string;
  readonly fixes: number;
  readonly vertices: number;
  readonly simplifyMeters: number;
  readonly gapSeconds: number;
}
export type TrackFeature = Feature<LineString | MultiLineString | Point | null, TrackProperties>;

export type HeatmapCollection = FeatureCollection<Polygon, { cell: string; count: number }> & {
  readonly resolution: number;
};

export interface Mission {
  readonly id: string;
  readonly title: string;
  readonly state: string;
  readonly done: boolean;
  readonly version: number;
  readonly definition: { readonly key: string; readonly version: number };
  readonly priority: number;
  readonly area: Polygon;
  readonly window: { readonly start: string; readonly end: string };
  readonly deadline: string | null;
  readonly assetIds: readonly string[];
  readonly assignment: unknown;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly allowedEvents: readonly string[];
}
export interface MissionPage extends Page {
  readonly missions: readonly Mission[];
}
export interface MissionHistoryEntry {
  readonly version: number;
  readonly kind: string;
  readonly event: string | null;
  readonly from: string | null;
  readonly to: string;
  readonly actor: string;
  readonly cause: string | null;
  readonly reason: string | null;
  readonly assetIds: readonly string[];
  readonly at: string;
}
export interface MissionHistoryPage extends Page {
  readonly entries: readonly MissionHistoryEntry[];
}

/** An `application/problem+json` body (RFC 9457) with Meridian's stable `code`. */
export interface Problem {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly code?: string;
  readonly errors?: readonly { readonly path?: string; readonly message?: string; readonly code?: string }[];
}

/** Live stream events (docs/stream.md). */
export interface PositionEvent {
  readonly assetId: string;
  readonly ts: string;
  readonly lon: number;
  readonly lat: number;
  readonly speed?: number | null;
  readonly heading?: number | null;
}
export interface GeofenceEvent {
  readonly assetId: string;
  readonly zoneId: string;
  readonly ts: string;
  readonly lon: number;
  readonly lat: number;
  readonly cause?: string;
}
export interface MissionEvent {
  readonly missionId?: string;
  readonly id?: string;
  readonly state?: string;
  readonly [key: string]: unknown;
}
