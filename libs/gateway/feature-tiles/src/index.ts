export * from './gateway-tiles.module';
