import type { MachineJson } from './definition.types';

const person = (target: string, permission: string, extra: Record<string, unknown> = {}) => ({
  target,
  meta: { permission },
  ...extra,
});

/**
 * The seeded definition (DESIGN §4): draft → submitted → approved → assigned → en_route → on_site →
 * completed, plus rejected, cancelled and overdue. Approval and rejection need someone other than
 * the creator; assignment reserves assets (a saga); an assigned asset entering the area arrives
 * (`meta.geofence`); not on site by the deadline → overdue.
 */
export const DEFAULT_MACHINE: MachineJson = {
  id: 'mission',
  initial: 'draft',
  states: {
    draft: {
      on: { submit: person('submitted', 'missions:write'), cancel: person('cancelled', 'missions:write') },
    },
    submitted: {
      on: {
        approve: person('approved', 'missions:approve', { guard: 'notCreator' }),
        reject: person('rejected', 'missions:approve', { guard: 'notCreator' }),
        cancel: person('cancelled', 'missions:write'),
      },
    },
    approved: {
      after: { deadline: 'overdue' },
      on: {
        assign: {
          target: 'assigned',
          guard: 'hasAssets',
          meta: { permission: 'missions:dispatch', effect: 'reserveAssets' },
        },
        cancel: person('cancelled', 'missions:write'),
      },
    },
    assigned: {
      after: { deadline: 'overdue' },
      on: {
        depart: person('en_route', 'missions:dispatch'),
        arrive: person('on_site', 'missions:dispatch', { meta: { permission: 'missions:dispatch', geofence: true } }),
        cancel: person('cancelled', 'missions:write'),
      },
    },
    en_route: {
      after: { deadline: 'overdue' },
      on: {
        arrive: person('on_site', 'missions:dispatch', { meta: { permission: 'missions:dispatch', geofence: true } }),
        cancel: person('cancelled', 'missions:write'),
      },
    },
    overdue: {
      on: {
        arrive: {
          target: 'on_site',
          guard: 'missionHasAssets',
          meta: { permission: 'missions:dispatch', geofence: true },
        },
        cancel: person('cancelled', 'missions:write'),
      },
    },
    on_site: {
      on: { complete: person('completed', 'missions:dispatch'), cancel: person('cancelled', 'missions:write') },
    },
    completed: { type: 'final' },
    rejected: { type: 'final' },
    cancelled: { type: 'final' },
  },
};
