import type { OgcCollectionId } from '@meridian/contracts/ogc';
import { assetsSql } from './assets.sql';
import type { OgcCollectionSql } from './ogc-sql';
import { positionsSql } from './positions.sql';
import { zonesSql } from './zones.sql';

export const collectionSql: Readonly<Record<OgcCollectionId, OgcCollectionSql>> = {
  assets: assetsSql,
  zones: zonesSql,
  positions: positionsSql,
};
