export * from './user-deps';
export * from './create-user/create-user.handler';
export * from './set-user-membership/set-user-membership.handler';
export * from './disable-user/disable-user.handler';
export * from './federated-login/federated-login.handler';
export * from './publish-user-events/user-integration-events';
export * from './bootstrap-users/bootstrap-users';
export * from './identity-users.module';
