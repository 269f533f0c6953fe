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
      "import { Injectable } from '@nestjs/common';\nimport { Pool } from 'pg';\nimport { Kafka } from 'kafkajs';\nexport const x = [Injectable, Pool, Kafka];\n",
    );
    expect(errors).toHaveLength(3);
    expect(errors.join('\n')).toMatch(/not allowed to import "@nestjs\/common"/);
  });

  it('refuses a domain library importing a non-pure shared library', async () => {
    const errors = await boundaryErrors('libs/workflow/domain/src/probe.ts', "import { MessageBus } from '@meridian/shared/messaging';\nexport const x = MessageBus;\n");
    expect(errors).toHaveLength(1);
  });

  it("refuses one service's code importing another's", async () => {
    const errors = await boundaryErrors('apps/gateway/src/probe.ts', "import { assetDecider } from '@meridian/workflow/domain';\nexport const x = assetDecider;\n");
    expect(errors.join('\n')).toMatch(/scope:gateway/);
  });

  it('allows a service to use its own libraries, contracts and shared code', async () => {
    const errors = await boundaryErrors(
      'libs/workflow/feature-assets/src/probe.ts',
      "import { assetDecider } from '@meridian/workflow/domain';\nimport { Topics } from '@meridian/contracts';\nimport { handle } from '@meridian/shared/decider';\nexport const x = [assetDecider, Topics, handle];\n",
    );
    expect(errors).toEqual([]);
  });
});
