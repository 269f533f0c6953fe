import type { Pool } from 'pg';
import { READ_POOL } from '@meridian/read-model/data-source';
import { ZoneQueries } from '@meridian/read-model/zones';

/** One ZoneQueries over the read pool for every zone handler. */
export const zoneQueriesProvider = {
  provide: ZoneQueries,
  useFactory: (pool: Pool) => new ZoneQueries(pool),
  inject: [READ_POOL],
};
