// Jest runs every test (unit, integration, e2e). SWC compiles TypeScript with decorator metadata,
// which NestJS dependency injection needs; ESM-only packages (panva's jose, openid-client,
// oidc-provider; @nestjs/typeorm 12) are compiled too instead of being skipped as node_modules.
// infra/scripts/test.sh runs Jest with --experimental-vm-modules: ESLint, which
// test/module-boundaries.spec.ts drives, loads its flat config with import().
const { compilerOptions } = require('./tsconfig.base.json');

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([name, [target]]) => [`^${escape(name)}$`, `<rootDir>/${target}`]),
);

const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

const esmOnly = ['jose', 'openid-client', 'oidc-provider', 'oauth4webapi', '@panva', '@nestjs/typeorm'];

module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj|cj)s$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.map(escape).join('|')})/)`],
  moduleNameMapper,
  testMatch: ['<rootDir>/{libs,apps,test}/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/.local/', '/dist/'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  // File order: Jest's default, or MERIDIAN_TEST_ORDER=path|reverse|random[:seed] to find files
  // that depend on running after (or before) another.
  testSequencer: '<rootDir>/test/sequencer.js',
  // Integration tests start real consumers and wait out outages; hooks share this budget.
  testTimeout: 180_000,
  // Files share one broker and database and run one after another (npm test passes --runInBand).
  maxWorkers: 1,
};
