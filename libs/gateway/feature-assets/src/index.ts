export * from './gateway-assets.module';
export { RegisterAssetBody } from './register-asset/register-asset.controller';
