export * from './register-tenant/register-tenant.handler';
export * from './identity-tenants.module';
