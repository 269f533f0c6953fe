export * from './federation.config';
export * from './federation.ports';
export * from './federation-deps';
export * from './identity-federation.module';
export * from './configure-federation/configure-federation.handler';
export * from './bootstrap-federation/bootstrap-federation';
export * from './publish-federation-events/federation-integration-events';
export { FEDERATION_SCOPE, callbackPath } from './federated-login/idp-strategies';
export { groupsOf, federatedLoginOf } from './federated-login/sign-in';
