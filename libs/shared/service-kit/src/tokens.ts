/** Injection tokens of the shared infrastructure providers. */
export const CONFIG = Symbol('meridian.config');
export const LOGGER = Symbol('meridian.logger');
export const PG_POOL = Symbol('meridian.pg-pool');
export const REDIS = Symbol('meridian.redis');
export const BUS = Symbol('meridian.bus');
export const SERVICE_NAME = Symbol('meridian.service-name');
export const READINESS = Symbol('meridian.readiness');
/** `() => Promise<RelayLag | null>` of the service's outbox relay; EventSourcingModule provides it. */
export const RELAY_LAG = Symbol('meridian.relay-lag');
