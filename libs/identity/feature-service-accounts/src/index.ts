export * from './service-account-deps';
export * from './create-service-account/create-service-account.handler';
export * from './set-service-account-membership/set-membership.handler';
export * from './disable-service-account/disable-service-account.handler';
export * from './publish-service-account-events/service-account-integration-events';
export * from './bootstrap-service-accounts/bootstrap-service-accounts';
export * from './identity-service-accounts.module';
