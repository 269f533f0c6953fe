export * from './migrations/1764460800010-exports';
