export * from './data-source';
export * from './read-model.module';
export * from './rebuild';
