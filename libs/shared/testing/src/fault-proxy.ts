import { createServer, type Server, type Socket, connect } from 'node:net';

export interface FaultProxyOptions {
  /** Where connections are forwarded. */
  readonly targetHost: string;
  readonly targetPort: number;
  /** Port to listen on (loopback); 0 (default) picks a free one, which is kept across cut/restore. */
  readonly port?: number;
}

/**
 * A TCP proxy on 127.0.0.1 that a test puts between a client and a real server (Postgres, Redis)
 * to make outages without stopping the shared server: `cut()` resets every open connection and
 * refuses new ones (the port stops listening), `restore()` listens on the same port again.
 */
export class FaultProxy {
  private server: Server | null = null;
  private readonly pairs = new Set<readonly [Socket, Socket]>();
  private boundPort: number;
  private isCut = false;

  constructor(private readonly options: FaultProxyOptions) {
    this.boundPort = options.port ?? 0;
  }

  /** The listening port (valid after `start()`). */
  get port(): number {
    return this.boundPort;
  }

  get cutOff(): boolean {
    return this.isCut;
  }

  /** Number of client connections currently forwarded. */
  get connections(): number {
    return this.pairs.size;
  }

  async start(): Promise<void> {
    if (this.server) return;
    await this.listen();
  }

  /** Resets open connections (the client sees ECONNRESET) and refuses new ones (ECONNREFUSED). */
  async cut(): Promise<void> {
    this.isCut = true;
    const server = this.server;
    this.server = null;
    for (const [client, upstream] of this.pairs) {
      reset(client);
      upstream.destroy();
    }
    this.pairs.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async restore(): Promise<void> {
    if (!this.isCut) return;
    await this.listen();
    this.isCut = false;
  }

  async stop(): Promise<void> {
    await this.cut();
  }

  private async listen(): Promise<void> {
    const server = createServer((client) => this.forward(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address && typeof address === 'object') this.boundPort = address.port;
    this.server = server;
  }

  private forward(client: Socket): void {
    const upstream = connect({ host: this.options.targetHost, port: this.options.targetPort });
    const pair = [client, upstream] as const;
    this.pairs.add(pair);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const drop = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    // The server went away: the client sees the connection reset, as it would without the proxy.
    upstream.on('error', () => {
      this.pairs.delete(pair);
      if (!client.destroyed) reset(client);
    });
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

/**
 * Ends a client connection with a reset (RST), as a dead server would. A socket its peer has already
 * ended is only destroyed: Node's `resetAndDestroy` on a half-closed socket can leave the event loop
 * polling it at full CPU, and the test process never exits.
 */
function reset(socket: Socket): void {
  if (socket.readableEnded || socket.writableEnded) socket.destroy();
  else socket.resetAndDestroy();
}
