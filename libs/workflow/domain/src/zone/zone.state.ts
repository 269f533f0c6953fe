import type { ZoneDefinition } from './zone.commands';
import type { ZoneEvent } from './zone.events';

export type ZoneState =
  | { readonly status: 'none' }
  | (ZoneDefinition & {
      readonly status: 'active' | 'archived';
      readonly zoneId: string;
      readonly tenantId: string;
    });

export const initialZoneState: ZoneState = { status: 'none' };

export function evolveZone(state: ZoneState, event: ZoneEvent): ZoneState {
  switch (event.type) {
    // One path each: v1 events arrive upcast to v2's data (workflowUpcasters).
    case 'zone.created.v1':
    case 'zone.created.v2': {
      const { createdAt: _createdAt, ...zone } = event.data;
      return { status: 'active', ...zone };
    }
    case 'zone.replaced.v1':
    case 'zone.replaced.v2': {
      if (state.status === 'none') return state;
      const { replacedAt: _replacedAt, zoneId: _zoneId, ...replaced } = event.data;
      return { ...state, ...replaced };
    }
    case 'zone.archived.v1':
      return state.status === 'none' ? state : { ...state, status: 'archived' };
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}
