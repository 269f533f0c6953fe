export * from './gateway-ogc.module';
export { ogcOpenApiDocument } from './api-document/ogc-openapi-document';
