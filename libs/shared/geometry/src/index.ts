export * from './zone-geometry';
