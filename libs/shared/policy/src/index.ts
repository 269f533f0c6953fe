export * from './roles';
export * from './principal';
export * from './decide';
export * from './sql-filter';
export { regionIntersects } from './intersects';
