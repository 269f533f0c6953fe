import { defineErrors } from '@meridian/contracts/core';

export const MissionErrors = defineErrors({
  definitionInvalid: {
    code: 'DEFINITION.INVALID',
    status: 400,
    description:
      'The workflow definition is not one workflow can run: not an XState machine config, an unknown guard, delay ' +
      'or permission, an event without `meta.permission`, a state no path reaches, a final state with exits. ' +
      '`detail` names what and where. Nothing is written.',
  },
  definitionUnknown: {
    code: 'MISSION.DEFINITION_UNKNOWN',
    status: 400,
    description: 'The mission names a workflow definition key the tenant has not published.',
  },
  missionAlreadyExists: {
    code: 'MISSION.ALREADY_EXISTS',
    status: 409,
    description:
      'A mission with this id exists. With an `Idempotency-Key`, a retry is answered like the first attempt.',
  },
  missionNotFound: {
    code: 'MISSION.NOT_FOUND',
    status: 404,
    description: 'No such mission in this tenant (missions of other tenants are not found either).',
  },
  missionWindowInvalid: {
    code: 'MISSION.WINDOW_INVALID',
    status: 400,
    description: '`window.end` is not after `window.start`, or the window is longer than the limit (30 days).',
  },
  missionAreaInvalid: {
    code: 'MISSION.AREA_INVALID',
    status: 400,
    description: 'The area is not a valid GeoJSON Polygon (checked like a zone geometry); `detail` says where.',
  },
  missionEventUnknown: {
    code: 'MISSION.EVENT_UNKNOWN',
    status: 400,
    description: "The mission's definition version has no such event (or it is one only timers and geofences send).",
  },
  missionEventNotAllowed: {
    code: 'MISSION.EVENT_NOT_ALLOWED',
    status: 409,
    description: 'The mission is in a state that does not accept this event (`detail` names the state).',
  },
  missionGuardFailed: {
    code: 'MISSION.GUARD_FAILED',
    status: 409,
    description: 'A guard of the transition refused (`detail` names it: e.g. `hasAssets` without assets).',
  },
  missionSeparationOfDuties: {
    code: 'MISSION.SEPARATION_OF_DUTIES',
    status: 403,
    description: 'The transition needs a different person than the one who created the mission (guard `notCreator`).',
  },
  missionAssignmentPending: {
    code: 'MISSION.ASSIGNMENT_PENDING',
    status: 409,
    description: 'An assignment of this mission is still reserving assets; wait for its outcome.',
  },
});
