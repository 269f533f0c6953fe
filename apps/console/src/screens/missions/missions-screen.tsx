/**
 * Missions: a board by state (`#/missions`), a new mission drawn on the map (`#/missions/new`) and a
 * mission's page (`#/missions/<id>`) with the events the signed-in user may send it and its history.
 */
import './missions.css';
import type { Route } from '../../app/route';
import { MissionBoard } from './board';
import { MissionPage } from './mission-page';
import { NewMission } from './new-mission';

export function MissionsScreen({ route }: { route: Route }) {
  const [first] = route.rest;
  return (
    <div class="screen missions">
      {first === undefined ? (
        <MissionBoard />
      ) : first === 'new' ? (
        <NewMission />
      ) : (
        <MissionPage key={first} id={first} />
      )}
    </div>
  );
}
