import { ESLint } from 'eslint';
import { resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';

const root = resolve(__dirname, '..');
const eslint = new ESLint({ cwd: root });

/** Lints source text as if it lived at `path`, returning the boundary rule's messages. */
async function boundaryErrors(path: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: resolve(root, path) });
  return result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('module boundaries (Nx tags, enforced by lint)', () => {
  it('refuses framework and I/O imports in a domain library', async () => {
    const errors = await boundaryErrors(
      'libs/workflow/domain/src/probe.ts',
      "import { Injectable } from '@nestjs/common';\n" +
        "import { Pool } from 'pg';\n" +
        "import { Kafka } from 'kafkajs';\n" +
        'export const x = [Injectable, Pool, Kafka];\n',
    );
    expect(errors).toHaveLength(3);
    expect(errors.join('\n')).toMatch(/not allowed to import "@nestjs\/common"/);
  });

  it('refuses a domain library importing a non-pure shared library', async () => {
    const errors = await boundaryErrors(
      'libs/workflow/domain/src/probe.ts',
      "import { MessageBus } from '@meridian/shared/messaging';\nexport const x = MessageBus;\n",
    );
    expect(errors).toHaveLength(1);
  });

  it("refuses a domain library importing a context's integration contracts (only the core ones)", async () => {
    const refused = await boundaryErrors(
      'libs/workflow/domain/src/probe.ts',
      "import { RegisterAssetV1 } from '@meridian/contracts/assets';\nexport const x = RegisterAssetV1;\n",
    );
    expect(refused).toHaveLength(1);
    const allowed = await boundaryErrors(
      'libs/workflow/domain/src/probe.ts',
      "import { CodedError } from '@meridian/contracts/core';\n" +
        "import { stableUuid } from '@meridian/shared/util';\n" +
        'export const x = [CodedError, stableUuid];\n',
    );
    expect(allowed).toEqual([]);
  });

  it('refuses a shared infrastructure library importing a feature, and read models importing a service', async () => {
    const infra = await boundaryErrors(
      'libs/shared/messaging/src/probe.ts',
      "import { GatewayAssetsModule } from '@meridian/gateway/feature-assets';\n" +
        'export const x = GatewayAssetsModule;\n',
    );
    expect(infra.length).toBeGreaterThan(0);
    // A service lib that does not itself use the read models, so the import is no cycle (Nx reports only
    // the first problem, and projection -> read-model would make this one a circular dependency).
    const readModel = await boundaryErrors(
      'libs/read-model/assets/src/probe.ts',
      "import { ServiceBus } from '@meridian/gateway/data-access';\nexport const x = ServiceBus;\n",
    );
    expect(readModel.join('\n')).toMatch(/scope:read-model/);
  });

  it('lets projection and geo-query use the read-model libs, and nobody else', async () => {
    const source = "import { AssetQueries } from '@meridian/read-model/assets';\nexport const x = AssetQueries;\n";
    expect(await boundaryErrors('libs/geo-query/feature-assets/src/probe.ts', source)).toEqual([]);
    expect(await boundaryErrors('libs/projection/feature-assets/src/probe.ts', source)).toEqual([]);
    expect((await boundaryErrors('libs/gateway/feature-assets/src/probe.ts', source)).length).toBeGreaterThan(0);
  });

  it("refuses one service's code importing another's", async () => {
    const errors = await boundaryErrors(
      'apps/gateway/src/probe.ts',
      "import { assetDecider } from '@meridian/workflow/domain';\nexport const x = assetDecider;\n",
    );
    expect(errors.join('\n')).toMatch(/scope:gateway/);
  });

  it('allows a service to use its own libraries, contracts and shared code', async () => {
    const errors = await boundaryErrors(
      'libs/workflow/feature-assets/src/probe.ts',
      "import { assetDecider } from '@meridian/workflow/domain';\n" +
        "import { Topics } from '@meridian/contracts/core';\n" +
        "import { handle } from '@meridian/shared/decider';\n" +
        'export const x = [assetDecider, Topics, handle];\n',
    );
    expect(errors).toEqual([]);
  });
});
