// Lint is where the architecture is enforced: @nx/enforce-module-boundaries turns the Nx tags in
// every project.json into import rules (see docs/decisions/0002-module-boundaries.md).
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const infraPackages = ['@nestjs/*', 'typeorm', 'pg', 'pg-*', 'kafkajs', 'ioredis', 'fastify', '@fastify/*'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.local/**', '.nx/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.mts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': [
        'error',
        { 'ts-ignore': true, 'ts-expect-error': true, 'ts-nocheck': true },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      'max-len': ['error', { code: 120, ignoreUrls: true, ignoreRegExpLiterals: true }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          banTransitiveDependencies: false,
          depConstraints: [
            // Layers (docs/decisions/0008-layout.md).
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: [
                'type:feature',
                'type:data-access',
                'type:domain',
                'type:util',
                'type:infra',
                'type:contracts',
              ],
            },
            {
              sourceTag: 'type:feature',
              onlyDependOnLibsWithTags: [
                'type:data-access',
                'type:domain',
                'type:util',
                'type:infra',
                'type:contracts',
              ],
            },
            {
              sourceTag: 'type:data-access',
              onlyDependOnLibsWithTags: [
                'type:data-access',
                'type:domain',
                'type:util',
                'type:infra',
                'type:contracts',
              ],
            },
            { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:infra', 'type:util', 'type:contracts'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:infra', 'type:contracts'] },
            {
              sourceTag: 'type:contracts',
              onlyDependOnLibsWithTags: ['type:contracts'],
              bannedExternalImports: infraPackages,
            },
            // A domain lib imports only the core contracts and pure utils: no framework, no I/O, and
            // not a context's integration schemas (the edge maps between those and the domain).
            {
              sourceTag: 'type:domain',
              onlyDependOnLibsWithTags: ['contracts:core', 'type:util'],
              bannedExternalImports: infraPackages,
            },
            { sourceTag: 'kind:pure', onlyDependOnLibsWithTags: ['kind:pure'], bannedExternalImports: infraPackages },
            // Services never import each other: only their own scope, the read models and shared code.
            { sourceTag: 'scope:gateway', onlyDependOnLibsWithTags: ['scope:gateway', 'scope:shared'] },
            { sourceTag: 'scope:identity', onlyDependOnLibsWithTags: ['scope:identity', 'scope:shared'] },
            { sourceTag: 'scope:workflow', onlyDependOnLibsWithTags: ['scope:workflow', 'scope:shared'] },
            {
              sourceTag: 'scope:projection',
              onlyDependOnLibsWithTags: ['scope:projection', 'scope:read-model', 'scope:shared'],
            },
            {
              sourceTag: 'scope:geo-query',
              onlyDependOnLibsWithTags: ['scope:geo-query', 'scope:read-model', 'scope:shared'],
            },
            { sourceTag: 'scope:read-model', onlyDependOnLibsWithTags: ['scope:read-model', 'scope:shared'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            // The web console is a client of the public HTTP API like any other: no project code.
            { sourceTag: 'scope:console', onlyDependOnLibsWithTags: ['scope:console'] },
          ],
        },
      ],
    },
  },
  {
    // Tests and benchmarks may print and may reach across libs to wire real parts together.
    files: ['**/*.spec.ts', 'bench/**/*.ts', 'tools/**/*.ts', 'test/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
