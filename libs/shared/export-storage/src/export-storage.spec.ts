import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { DirectoryStorage, ExportKeyError } from './export-storage';
import { S3Storage } from './s3-storage';
import { exportStorageEnv, exportStorageOf } from './storage-config';

const read = async (body: Readable): Promise<Buffer> => Buffer.concat(await body.toArray());

/** `total` bytes in 64 KiB chunks, then an error instead of the end. */
function failingAfter(total: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) {
        this.destroy(new Error('source failed'));
        return;
      }
      const chunk = Buffer.alloc(64 * 1024, 7);
      sent += chunk.length;
      this.push(chunk);
    },
  });
}

const HOSTILE_KEYS = ['../x', '/abs', 'a/../../b', 'a//b', '', '.', '..', 'a/./b', 'a/', 'a\\b', 'a b'];

describe('DirectoryStorage', () => {
  let root: string;
  let storage: DirectoryStorage;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'export-storage-'));
    storage = new DirectoryStorage(root);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('gives back the bytes it stored, with their count', async () => {
    const content = Buffer.from('id,lon,lat\n1,2.35,48.85\n'.repeat(1000));

    const { bytes } = await storage.put('t1/e1.csv.gz', Readable.from([content]));
    const got = await storage.get('t1/e1.csv.gz');

    expect(bytes).toBe(content.length);
    expect(got?.bytes).toBe(content.length);
    expect(got && (await read(got.body))).toEqual(content);
  });

  it('lists every key sorted, without half-written files', async () => {
    for (const key of ['b/2.csv.gz', 'a.csv.gz', 'b/1.csv.gz']) await storage.put(key, Readable.from(['x']));
    await writeFile(join(root, 'b', '3.csv.gz.123.456.partial'), 'half');

    expect(await storage.keys()).toEqual(['a.csv.gz', 'b/1.csv.gz', 'b/2.csv.gz']);
  });

  it('has no keys before the directory exists', async () => {
    expect(await new DirectoryStorage(join(root, 'not-yet')).keys()).toEqual([]);
  });

  it.each(HOSTILE_KEYS)('refuses the key %j', async (key) => {
    await expect(storage.put(key, Readable.from(['x']))).rejects.toThrow(ExportKeyError);
    await expect(storage.get(key)).rejects.toThrow(ExportKeyError);
    await expect(storage.delete(key)).rejects.toThrow(ExportKeyError);
    expect(await readdir(root)).toEqual([]);
  });

  it('leaves no file, whole or partial, when the source fails', async () => {
    await expect(storage.put('t1/e1.csv.gz', failingAfter(1024 * 1024))).rejects.toThrow('source failed');

    expect(await storage.get('t1/e1.csv.gz')).toBeUndefined();
    expect(await storage.keys()).toEqual([]);
    expect(await readdir(join(root, 't1'))).toEqual([]);
  });

  it('keeps the previous file when a replacement fails', async () => {
    await storage.put('e.csv.gz', Readable.from(['first']));

    await expect(storage.put('e.csv.gz', failingAfter(256 * 1024))).rejects.toThrow('source failed');

    const got = await storage.get('e.csv.gz');
    expect(got && (await read(got.body)).toString()).toBe('first');
  });

  it('sweeps the partial files of crashed writers, and only those', async () => {
    await storage.put('t1/e1.csv.gz', Readable.from(['x']));
    const crashed = join(root, 't1', 'e2.csv.gz.4242.1700000000000.partial');
    const writing = join(root, 't1', 'e3.csv.gz.4243.1700000000001.partial');
    await writeFile(crashed, 'half');
    await writeFile(writing, 'half');
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(crashed, hourAgo, hourAgo);

    expect(await storage.sweepPartials(60_000)).toBe(1);

    expect((await readdir(join(root, 't1'))).sort()).toEqual(['e1.csv.gz', 'e3.csv.gz.4243.1700000000001.partial']);
    expect(await storage.keys()).toEqual(['t1/e1.csv.gz']);
    expect(await new DirectoryStorage(join(root, 'not-yet')).sweepPartials(0)).toBe(0);
  });

  it('deletes a file, and an absent key is no error', async () => {
    await storage.put('t1/e1.csv.gz', Readable.from(['x']));

    await storage.delete('t1/e1.csv.gz');
    await storage.delete('t1/e1.csv.gz');
    await storage.delete('never/stored.csv.gz');

    expect(await storage.get('t1/e1.csv.gz')).toBeUndefined();
    expect(await storage.keys()).toEqual([]);
  });
});

describe('exportStorageOf', () => {
  it('is a directory by default', () => {
    expect(exportStorageOf({})).toBeInstanceOf(DirectoryStorage);
    expect(exportStorageOf(undefined)).toBeInstanceOf(DirectoryStorage);
  });

  it('is a bucket when EXPORTS_STORAGE=s3', () => {
    const storage = exportStorageOf({ EXPORTS_STORAGE: 's3', EXPORTS_S3_BUCKET: 'meridian-exports' });
    expect(storage).toBeInstanceOf(S3Storage);
    if (storage instanceof S3Storage) storage.destroy();
  });

  it("reads back the service's config, already validated by a schema that spreads exportStorageEnv", () => {
    const validated = z
      .object({ ...exportStorageEnv, OTHER: z.string() })
      .parse({ OTHER: 'x', EXPORTS_STORAGE: 's3', EXPORTS_S3_BUCKET: 'b-1', EXPORTS_S3_FORCE_PATH_STYLE: 'yes' });

    expect(validated.EXPORTS_S3_FORCE_PATH_STYLE).toBe(true);
    const storage = exportStorageOf(validated);
    expect(storage).toBeInstanceOf(S3Storage);
    if (storage instanceof S3Storage) storage.destroy();
  });

  it.each([
    [{ EXPORTS_STORAGE: 's3' }, 'EXPORTS_S3_BUCKET is required when EXPORTS_STORAGE=s3'],
    [{ EXPORTS_STORAGE: 's3', EXPORTS_S3_BUCKET: '' }, 'EXPORTS_S3_BUCKET is required when EXPORTS_STORAGE=s3'],
    [{ EXPORTS_STORAGE: 'ftp' }, 'EXPORTS_STORAGE'],
    [{ EXPORTS_S3_FORCE_PATH_STYLE: 'maybe' }, 'EXPORTS_S3_FORCE_PATH_STYLE'],
    [{ EXPORTS_S3_PREFIX: 'exports' }, 'folders ending in /'],
    [{ EXPORTS_S3_ENDPOINT: 'minio:9000' }, 'EXPORTS_S3_ENDPOINT'],
    [{ EXPORTS_S3_ACCESS_KEY_ID: 'key' }, 'set both EXPORTS_S3_ACCESS_KEY_ID and EXPORTS_S3_SECRET_ACCESS_KEY'],
  ])('refuses %j', (config, message) => {
    expect(() => exportStorageOf(config)).toThrow(message);
  });
});
