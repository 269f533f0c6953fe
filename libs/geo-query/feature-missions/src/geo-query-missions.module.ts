import { Module } from '@nestjs/common';
import { GetMissionHandler } from './get-mission/get-mission.handler';
import { ListMissionsHandler } from './list-missions/list-missions.handler';
import { MissionHistoryHandler } from './mission-history/mission-history.handler';
import { missionQueriesProvider } from './mission-queries.provider';

/** Mission queries on `meridian.geo-query.requests`, one folder per query. */
@Module({
  controllers: [GetMissionHandler, ListMissionsHandler, MissionHistoryHandler],
  providers: [missionQueriesProvider],
})
export class GeoQueryMissionsModule {}
