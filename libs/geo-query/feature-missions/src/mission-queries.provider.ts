import type { Pool } from 'pg';
import { READ_POOL } from '@meridian/read-model/data-source';
import { MissionQueries } from '@meridian/read-model/missions';

/** One MissionQueries over the read pool for every mission handler. */
export const missionQueriesProvider = {
  provide: MissionQueries,
  useFactory: (pool: Pool) => new MissionQueries(pool),
  inject: [READ_POOL],
};
