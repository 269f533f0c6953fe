import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FaultProxy } from './fault-proxy';

/** Connects and resolves with the socket, or rejects with the connect error. */
const open = (port: number): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });

/** Writes `text` and resolves with the echo. */
const roundTrip = (socket: Socket, text: string): Promise<string> =>
  new Promise((resolve, reject) => {
    socket.once('data', (data) => resolve(data.toString()));
    socket.once('error', reject);
    socket.write(text);
  });

const closed = (socket: Socket): Promise<string> =>
  new Promise((resolve) => {
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    socket.once('close', () => resolve('closed'));
  });

describe('FaultProxy', () => {
  let echo: Server;
  let proxy: FaultProxy;

  beforeAll(async () => {
    echo = createServer((s) => s.pipe(s));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const address = echo.address();
    if (!address || typeof address === 'string') throw new Error('echo server has no port');
    proxy = new FaultProxy({ targetHost: '127.0.0.1', targetPort: address.port });
    await proxy.start();
  });

  afterAll(async () => {
    await proxy?.stop();
    await new Promise((resolve) => echo?.close(resolve));
  });

  it('forwards, resets open connections and refuses new ones while cut, and recovers on the same port', async () => {
    const port = proxy.port;
    expect(port).toBeGreaterThan(0);
    const before = await open(port);
    expect(await roundTrip(before, 'hello')).toBe('hello');

    const outcome = closed(before);
    await proxy.cut();
    expect(await outcome).toBe('ECONNRESET');
    await expect(open(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    await proxy.restore();
    expect(proxy.port).toBe(port);
    const after = await open(port);
    expect(await roundTrip(after, 'again')).toBe('again');
    after.destroy();
  });
});
