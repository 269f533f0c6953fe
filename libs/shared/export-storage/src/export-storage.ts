import { createReadStream, createWriteStream, type Dirent } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Where finished export files live: written by geo-query, streamed by the gateway. Files are stored
 * as given (exports store gzip), under keys such as `<tenant>/<export id>.csv.gz`.
 */
export interface ExportStorage {
  /** Stores `body` under `key`; the file appears only once complete (a crash leaves no half file). */
  put(key: string, body: Readable): Promise<{ readonly bytes: number }>;
  /** The stored bytes, or undefined when there is no such file. */
  get(key: string): Promise<{ readonly body: Readable; readonly bytes: number } | undefined>;
  /** Removes the file; absent files are not an error. */
  delete(key: string): Promise<void>;
  /** Every stored key, for the expiry sweep and tests. */
  keys(): Promise<readonly string[]>;
  /**
   * Removes what crashed writers left behind, untouched for `olderThanMs`; the number removed. Only
   * where the storage itself holds such leftovers (a directory's `.partial` files); a bucket's
   * unfinished multipart uploads are its lifecycle rule's.
   */
  sweepPartials?(olderThanMs: number): Promise<number>;
}

/** A key is one or more `[A-Za-z0-9._-]` segments joined by `/`, none of them `.` or `..`. */
const KEY = /^(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** `<final path>.<pid>.<ms>.partial`: a file `put` is writing, renamed to its key once complete. */
const PARTIAL = /\.\d+\.\d+\.partial$/;

export class ExportKeyError extends Error {
  constructor(key: string) {
    super(`not a storage key: ${JSON.stringify(key).slice(0, 80)}`);
    this.name = 'ExportKeyError';
  }
}

/** Whether `key` is a storage key: every implementation accepts the same keys. */
export const isExportKey = (key: string): boolean => KEY.test(key);

/** Throws ExportKeyError unless `key` is a storage key. */
export function assertExportKey(key: string): void {
  if (!isExportKey(key)) throw new ExportKeyError(key);
}

/** The default storage: a directory (a shared volume in the Helm chart and docker-compose). */
export class DirectoryStorage implements ExportStorage {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private pathOf(key: string): string {
    assertExportKey(key);
    const path = resolve(this.root, key);
    if (!path.startsWith(this.root + sep)) throw new ExportKeyError(key);
    return path;
  }

  async put(key: string, body: Readable): Promise<{ readonly bytes: number }> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const partial = `${path}.${process.pid}.${Date.now()}.partial`;
    try {
      await pipeline(body, createWriteStream(partial, { flags: 'wx' }));
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return { bytes: (await stat(path)).size };
  }

  async get(key: string): Promise<{ readonly body: Readable; readonly bytes: number } | undefined> {
    const path = this.pathOf(key);
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!info?.isFile()) return undefined;
    return { body: createReadStream(path), bytes: info.size };
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async keys(): Promise<readonly string[]> {
    return (await this.files())
      .filter((e) => !e.name.endsWith('.partial'))
      .map((e) =>
        join(e.parentPath, e.name)
          .slice(this.root.length + 1)
          .split(sep)
          .join('/'),
      )
      .sort();
  }

  /**
   * Deletes `.partial` files not written to for `olderThanMs` (by their modification time): a live
   * `put` writes all along, a crashed one left its file behind for good.
   */
  async sweepPartials(olderThanMs: number): Promise<number> {
    const before = Date.now() - olderThanMs;
    let removed = 0;
    for (const entry of await this.files()) {
      if (!PARTIAL.test(entry.name)) continue;
      const path = join(entry.parentPath, entry.name);
      const info = await stat(path).catch(() => undefined);
      if (!info || info.mtimeMs > before) continue;
      await rm(path, { force: true });
      removed++;
    }
    return removed;
  }

  private async files(): Promise<Dirent[]> {
    const entries = await readdir(this.root, { recursive: true, withFileTypes: true }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return [];
        throw error;
      },
    );
    return entries.filter((e) => e.isFile());
  }
}
