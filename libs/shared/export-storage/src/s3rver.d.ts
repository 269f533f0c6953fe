// s3rver ships no types: the part of its API that s3-storage.int.spec.ts uses (node_modules/s3rver/README.md).
declare module 's3rver' {
  import type { AddressInfo } from 'node:net';

  namespace S3rver {
    interface Options {
      address?: string;
      port?: number;
      silent?: boolean;
      directory?: string;
      resetOnClose?: boolean;
      allowMismatchedSignatures?: boolean;
      vhostBuckets?: boolean;
      configureBuckets?: readonly { readonly name: string; readonly configs?: readonly (string | Buffer)[] }[];
    }
  }

  class S3rver {
    constructor(options?: S3rver.Options);
    /** Listens; the bound address (port 0 picks a free one). */
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }

  export = S3rver;
}
