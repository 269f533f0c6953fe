import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  paginateListObjectsV2,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { pipeline, Readable, Transform } from 'node:stream';
import { assertExportKey, isExportKey, type ExportStorage } from './export-storage';

const MIB = 1024 * 1024;

/**
 * Empty, or folders each ending in `/` (`exports/`, `meridian/exports/`): `keys()` lists by prefix, so
 * a prefix such as `exports` would also take in `exports-old/…`, which `delete` could then remove.
 */
export const isS3Prefix = (prefix: string): boolean => /^([A-Za-z0-9._-]+\/)*$/.test(prefix);

export interface S3StorageOptions {
  /** An S3-compatible server (MinIO, Ceph, …); AWS S3 when absent. */
  readonly endpoint?: string;
  readonly region: string;
  readonly bucket: string;
  /** Before every key: `exports/` stores `t1/e1.csv.gz` as `exports/t1/e1.csv.gz` (see isS3Prefix). */
  readonly prefix?: string;
  /** `<endpoint>/<bucket>/<key>` instead of `<bucket>.<endpoint>/<key>`: most self-hosted servers want it. */
  readonly forcePathStyle?: boolean;
  /** Both or neither: without them the SDK's default chain (env, profile, IRSA, instance role). */
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
}

/**
 * Exports in an S3 bucket. `put` streams a multipart upload (8 MiB parts, two in flight: about
 * 24 MiB of memory whatever the file size); S3 shows the object only once the upload completes.
 */
export class S3Storage implements ExportStorage {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(options: S3StorageOptions) {
    const { accessKeyId, secretAccessKey } = options;
    if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
      throw new Error('S3Storage: give both accessKeyId and secretAccessKey, or neither');
    }
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    if (!isS3Prefix(this.prefix)) throw new Error(`S3Storage: not a key prefix: ${JSON.stringify(this.prefix)}`);
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle ?? false,
      credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
      // Since 3.729 the SDK adds a CRC32 checksum to every upload (x-amz-checksum-crc32, and
      // x-amz-checksum-algorithm on CreateMultipartUpload) and asks for one on every download; several
      // S3-compatible servers (R2, Ceph RGW, Linode, older MinIO) refuse those requests. TLS and each
      // part's MD5 (its ETag) are the integrity checks every server understands.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  private objectKey(key: string): string {
    assertExportKey(key);
    return this.prefix + key;
  }

  async put(key: string, body: Readable): Promise<{ readonly bytes: number }> {
    const Key = this.objectKey(key);
    let bytes = 0;
    const counted = pipeline(
      body,
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          done(null, chunk);
        },
      }),
      // A source error destroys `counted` with it, which fails the upload reading it.
      () => undefined,
    );
    // Aborting is ours, below, so that the caller sees why the upload failed, not why the abort did.
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key, Body: counted },
      partSize: 8 * MIB,
      queueSize: 2,
      leavePartsOnError: true,
    });
    try {
      await upload.done();
    } catch (error) {
      counted.destroy();
      await this.abortUpload(Key, upload.uploadId);
      throw error;
    }
    return { bytes };
  }

  /** Frees the parts of a failed upload; best effort (a bucket lifecycle rule should reap what remains). */
  private async abortUpload(Key: string, UploadId: string | undefined): Promise<void> {
    if (UploadId === undefined) return;
    await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId })).catch(() => {
      // The server refused or is gone: the parts stay invisible, never an object under `Key`.
    });
  }

  async get(key: string): Promise<{ readonly body: Readable; readonly bytes: number } | undefined> {
    const Key = this.objectKey(key);
    try {
      const { Body, ContentLength } = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      if (!(Body instanceof Readable) || ContentLength === undefined) {
        if (Body instanceof Readable) Body.destroy();
        throw new Error(`S3Storage: GetObject ${Key} returned no Node stream or no Content-Length`);
      }
      return { body: Body, bytes: ContentLength };
    } catch (error) {
      if (isNoSuchKey(error)) return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  /** Keys under the prefix, without it; objects whose rest is not a storage key were not stored here. */
  async keys(): Promise<readonly string[]> {
    const keys: string[] = [];
    const pages = paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: this.prefix });
    for await (const page of pages) {
      for (const object of page.Contents ?? []) {
        const key = object.Key?.slice(this.prefix.length);
        if (key !== undefined && object.Key?.startsWith(this.prefix) && isExportKey(key)) keys.push(key);
      }
    }
    return keys.sort();
  }

  /** Closes the client's pooled connections. */
  destroy(): void {
    this.client.destroy();
  }
}

/** A missing object; a missing bucket is a misconfiguration and stays an error. */
function isNoSuchKey(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  return error.name === 'NoSuchKey' || (error.$metadata.httpStatusCode === 404 && error.name !== 'NoSuchBucket');
}
