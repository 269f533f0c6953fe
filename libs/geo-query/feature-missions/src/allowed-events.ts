import type { Mission } from '@meridian/contracts/missions';
import type { MissionView } from '@meridian/read-model/missions';
import type { ReadScope } from '@meridian/read-model/assets';
import { decide, type Permission, PERMISSIONS } from '@meridian/shared/policy';

const isPermission = (p: string): p is Permission => (PERMISSIONS as readonly string[]).includes(p);

/**
 * The guards the read side can judge, by who asks: separation of duties. Any other guard (data
 * guards such as `hasAssets`) is workflow's to judge when the event is sent; here it passes.
 */
const judged: Readonly<Record<string, (subject: string, createdBy: string) => boolean>> = {
  notCreator: (subject, createdBy) => subject !== createdBy,
  isCreator: (subject, createdBy) => subject === createdBy,
};

/**
 * The events the scope's principal may send the mission now, in the order of its transitions,
 * each once: a transition people can take (a permission), whose permission `decide` grants on the
 * mission (its tenant, its area as location; no sensitivity, no team) at the scope's time, and whose
 * judged guards pass. A done mission accepts none.
 */
export function allowedEvents(mission: MissionView, { principal, now }: ReadScope): string[] {
  if (mission.done) return [];
  const resource = { tenantId: mission.tenantId, location: mission.area, sensitivity: 0, team: null };
  const allowed = new Set<string>();
  for (const { event, permission, guards } of mission.transitions) {
    if (permission === null || !isPermission(permission)) continue;
    if (!decide(principal, permission, resource, now).allow) continue;
    if (guards.every((g) => judged[g]?.(principal.subject, mission.createdBy) ?? true)) allowed.add(event);
  }
  return [...allowed];
}

/** The Mission a query answers: the view without its tenant and transitions, with the caller's allowedEvents. */
export function missionFor(view: MissionView, scope: ReadScope): Mission {
  const { tenantId: _tenantId, transitions: _transitions, ...mission } = view;
  return { ...mission, allowedEvents: allowedEvents(view, scope) };
}
