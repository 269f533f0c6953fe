import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type S3rver from 's3rver';
import { ExportKeyError, type ExportStorage } from './export-storage';
import { S3Storage, type S3StorageOptions } from './s3-storage';
import { exportStorageOf } from './storage-config';

const BUCKET = 'meridian-exports';
const MIB = 1024 * 1024;

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

async function sha256Of(body: Readable): Promise<{ readonly hash: string; readonly length: number }> {
  const hash = createHash('sha256');
  let length = 0;
  for await (const chunk of body) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    hash.update(bytes);
    length += bytes.length;
  }
  return { hash: hash.digest('hex'), length };
}

/** `data` in 64 KiB chunks, as a file or a query result arrives. */
function chunked(data: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < data.length; at += 64 * 1024) yield data.subarray(at, at + 64 * 1024);
    })(),
  );
}

/** `total` bytes, then an error instead of the end. */
function failingAfter(total: number): Readable {
  return Readable.from(
    (async function* () {
      for (let sent = 0; sent < total; sent += 64 * 1024) yield randomBytes(64 * 1024);
      throw new Error('source failed');
    })(),
  );
}

/**
 * s3rver, a real S3 REST server (Koa on a directory), in a child process: it makes ListObjectsV2
 * continuation tokens with DES, which OpenSSL 3 (Node 17+) only offers with its legacy provider.
 * The child reports its port, then the name of each S3 event (`ObjectCreated:Put`, …).
 */
async function startS3rver(options: S3rver.Options): Promise<{ readonly port: number; readonly child: ChildProcess }> {
  const main = `
    const S3rver = require(${JSON.stringify(require.resolve('s3rver'))});
    const server = new S3rver(JSON.parse(process.argv[1]));
    server.on('event', (e) => e.Records.forEach((r) => process.send({ event: r.eventName })));
    server.run().then(({ port }) => process.send({ port }), (error) => { console.error(error); process.exit(1); });
    process.on('disconnect', () => server.close().finally(() => process.exit(0)));`;
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', main, JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [message] = await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => Promise.reject(new Error(`s3rver exited with ${String(code)}`))),
  ]);
  const port = (message as { port?: unknown }).port;
  if (typeof port !== 'number') throw new Error(`s3rver said ${JSON.stringify(message)}`);
  return { port, child };
}

/** Waits until `check` passes (a message from the child may trail the HTTP response). */
async function eventually(check: () => void, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

describe('S3Storage against s3rver', () => {
  let directory: string;
  let server: ChildProcess;
  let endpoint: string;
  let storage: S3Storage;
  const created: string[] = [];

  const options = (): S3StorageOptions => ({
    endpoint,
    region: 'us-east-1',
    bucket: BUCKET,
    prefix: 'exports/',
    forcePathStyle: true,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 's3rver-'));
    const { port, child } = await startS3rver({
      port: 0,
      address: '127.0.0.1',
      directory,
      silent: true,
      configureBuckets: [{ name: BUCKET }],
    });
    server = child;
    server.on('message', (message: { event?: unknown }) => {
      if (typeof message.event === 'string' && message.event.startsWith('ObjectCreated:')) created.push(message.event);
    });
    endpoint = `http://127.0.0.1:${port}`;
    storage = new S3Storage(options());
  });

  afterAll(async () => {
    storage?.destroy();
    if (server?.connected) {
      const exited = once(server, 'exit');
      server.disconnect();
      await exited;
    }
    await rm(directory, { recursive: true, force: true });
  });

  it('streams a 20 MiB file up in parts and gives back the same bytes', async () => {
    const data = randomBytes(20 * MIB + 12_345);
    created.length = 0;

    const { bytes } = await storage.put('t1/big.csv.gz', chunked(data));
    const got = await storage.get('t1/big.csv.gz');

    expect(bytes).toBe(data.length);
    // CompleteMultipartUpload creates the object as `ObjectCreated:Post`; a single PutObject as `:Put`.
    await eventually(() => expect(created).toEqual(['ObjectCreated:Post']));
    expect(got?.bytes).toBe(data.length);
    expect(got && (await sha256Of(got.body))).toEqual({ hash: sha256(data), length: data.length });
  });

  it('stores a small file with one request', async () => {
    created.length = 0;

    const { bytes } = await storage.put('t1/small.csv.gz', Readable.from([Buffer.from('id\n1\n')]));
    const got = await storage.get('t1/small.csv.gz');

    expect(bytes).toBe(5);
    await eventually(() => expect(created).toEqual(['ObjectCreated:Put']));
    expect(got && (await sha256Of(got.body))).toEqual({ hash: sha256(Buffer.from('id\n1\n')), length: 5 });
  });

  it('stores an empty file', async () => {
    expect(await storage.put('t1/empty.csv.gz', Readable.from([]))).toEqual({ bytes: 0 });

    const got = await storage.get('t1/empty.csv.gz');
    expect(got?.bytes).toBe(0);
    expect(got && (await sha256Of(got.body))).toEqual({ hash: sha256(Buffer.alloc(0)), length: 0 });
    await storage.delete('t1/empty.csv.gz');
  });

  it('has nothing under a key never stored', async () => {
    expect(await storage.get('t1/absent.csv.gz')).toBeUndefined();
  });

  it('lists its keys sorted, without the prefix', async () => {
    await storage.put('t2/b.csv.gz', Readable.from(['b']));
    await storage.put('t2/a.csv.gz', Readable.from(['a']));
    await storage.put('a.csv.gz', Readable.from(['a']));

    expect(await storage.keys()).toEqual([
      'a.csv.gz',
      't1/big.csv.gz',
      't1/small.csv.gz',
      't2/a.csv.gz',
      't2/b.csv.gz',
    ]);
  });

  it('pages through more keys than one listing holds (1000)', async () => {
    const many = new S3Storage({ ...options(), prefix: 'many/' });
    const keys = Array.from({ length: 1003 }, (_, i) => `t/${String(i).padStart(4, '0')}.csv.gz`);
    try {
      for (let at = 0; at < keys.length; at += 50) {
        await Promise.all(keys.slice(at, at + 50).map((key) => many.put(key, Readable.from(['x']))));
      }

      expect(await many.keys()).toEqual(keys);
    } finally {
      many.destroy();
    }
  });

  it('deletes, and deleting an absent key is no error', async () => {
    await storage.put('t3/gone.csv.gz', Readable.from(['x']));

    await storage.delete('t3/gone.csv.gz');
    await storage.delete('t3/gone.csv.gz');
    await storage.delete('never/stored.csv.gz');

    expect(await storage.get('t3/gone.csv.gz')).toBeUndefined();
    expect(await storage.keys()).not.toContain('t3/gone.csv.gz');
  });

  it('rejects with the source error and shows no object when the source fails mid-way', async () => {
    created.length = 0;

    // 12 MiB: the first 8 MiB part is uploaded before the source fails.
    await expect(storage.put('t4/failed.csv.gz', failingAfter(12 * MIB))).rejects.toThrow('source failed');

    expect(await storage.get('t4/failed.csv.gz')).toBeUndefined();
    expect(await storage.keys()).not.toContain('t4/failed.csv.gz');
    expect(created).toEqual([]);
  });

  it('keeps the previous object when a replacement fails', async () => {
    await storage.put('t5/e.csv.gz', Readable.from(['first']));

    await expect(storage.put('t5/e.csv.gz', failingAfter(10 * MIB))).rejects.toThrow('source failed');

    const got = await storage.get('t5/e.csv.gz');
    expect(got && (await sha256Of(got.body))).toEqual({ hash: sha256(Buffer.from('first')), length: 5 });
  });

  it.each(['../x', '/abs', 'a/../../b', 'a//b', '', '.'])('refuses the key %j', async (key) => {
    await expect(storage.put(key, Readable.from(['x']))).rejects.toThrow(ExportKeyError);
    await expect(storage.get(key)).rejects.toThrow(ExportKeyError);
    await expect(storage.delete(key)).rejects.toThrow(ExportKeyError);
  });

  describe('exportStorageOf', () => {
    let fromEnv: ExportStorage;

    afterAll(() => {
      if (fromEnv instanceof S3Storage) fromEnv.destroy();
    });

    it('builds a path-style S3Storage from the environment that works end to end', async () => {
      fromEnv = exportStorageOf({
        EXPORTS_STORAGE: 's3',
        EXPORTS_S3_BUCKET: BUCKET,
        EXPORTS_S3_PREFIX: 'from-env/',
        EXPORTS_S3_ENDPOINT: endpoint,
        EXPORTS_S3_FORCE_PATH_STYLE: 'true',
        EXPORTS_S3_ACCESS_KEY_ID: 'S3RVER',
        EXPORTS_S3_SECRET_ACCESS_KEY: 'S3RVER',
      });
      const data = randomBytes(MIB);

      expect(fromEnv).toBeInstanceOf(S3Storage);
      expect(await fromEnv.put('t1/e.csv.gz', chunked(data))).toEqual({ bytes: data.length });
      const got = await fromEnv.get('t1/e.csv.gz');
      expect(got && (await sha256Of(got.body))).toEqual({ hash: sha256(data), length: data.length });
      // Its own prefix only: the objects under `exports/` are not its keys.
      expect(await fromEnv.keys()).toEqual(['t1/e.csv.gz']);
      await fromEnv.delete('t1/e.csv.gz');
      expect(await fromEnv.keys()).toEqual([]);
      expect(await storage.keys()).toContain('t1/big.csv.gz');
    });

    it('refuses s3 without a bucket, saying so', () => {
      expect(() => exportStorageOf({ EXPORTS_STORAGE: 's3', EXPORTS_S3_ENDPOINT: endpoint })).toThrow(
        'EXPORTS_S3_BUCKET is required when EXPORTS_STORAGE=s3',
      );
    });
  });
});
