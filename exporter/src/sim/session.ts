// One client connection: the version handshake, framing both ways, and the client's
// subscriptions. What to answer is decided by the server; this class only moves bytes.
import type { Socket } from 'node:net';
import { FrameReader, WireError, encodeFrame, parseVersionRange, splitFields } from './wire.js';

export interface SessionHooks {
  /** Server version this Gateway speaks; the session uses min(this, client's max). */
  serverVersion: number;
  connectionTime: () => string;
  /** While true, nothing is written to the socket (a hung Gateway). */
  isSilent: () => boolean;
  onMessage: (session: ClientSession, fields: string[]) => void;
  onClose: (session: ClientSession) => void;
  log: (line: string) => void;
}

let nextSessionId = 1;

export class ClientSession {
  readonly id = nextSessionId++;
  /** Negotiated version; 0 until the handshake is done. */
  serverVersion = 0;
  /** From startApi; undefined until then. */
  clientId: number | undefined;
  started = false;

  /** Subscriptions, so updates go only to clients that asked and cancels stop them. */
  positions = false;
  readonly pnl = new Map<number, string>();
  readonly pnlSingle = new Map<number, { account: string; conId: number }>();
  readonly summaries = new Set<number>();

  private readonly reader = new FrameReader({ expectApiPrefix: true });
  private handshakeDone = false;

  constructor(
    readonly socket: Socket,
    private readonly hooks: SessionHooks,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // A reset or write to a dead peer must not become an unhandled 'error' and kill the process.
    socket.on('error', (err) => hooks.log(`session ${this.id}: socket error ${err.message}`));
    socket.on('close', () => {
      hooks.onClose(this);
    });
  }

  /** True as soon as the socket is closing, before its 'close' event. */
  get closed(): boolean {
    return this.socket.destroyed || !this.socket.writable;
  }

  get label(): string {
    return this.clientId === undefined
      ? `session ${this.id}`
      : `session ${this.id} (client ${this.clientId})`;
  }

  /** Sends one message unless the Gateway is silent or the socket is gone. */
  send(fields: readonly string[]): void {
    if (this.closed || this.hooks.isSilent()) return;
    this.socket.write(encodeFrame(fields));
  }

  /** Writes bytes as they are, framed or not: for hostile-gateway tests. */
  sendBytes(bytes: Buffer): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /** Sends the last messages, then closes (used after error 326). */
  end(): void {
    if (!this.closed) this.socket.end();
  }

  /** Hard close, like a Gateway process that goes away. */
  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    try {
      for (const frame of this.reader.push(chunk)) {
        if (!this.handshakeDone) {
          this.onHandshake(frame);
        } else {
          this.hooks.onMessage(this, splitFields(frame));
        }
      }
    } catch (err) {
      // Garbage or a protocol violation: drop this client, never the simulator.
      const reason = err instanceof WireError ? err.message : String(err);
      this.hooks.log(`${this.label}: dropped (${reason})`);
      this.destroy();
    }
  }

  private onHandshake(frame: Buffer): void {
    const { min, max } = parseVersionRange(frame);
    const version = Math.min(this.hooks.serverVersion, max);
    if (version < min)
      throw new WireError(`client needs version >= ${min}, we speak ${this.hooks.serverVersion}`);
    this.serverVersion = version;
    this.handshakeDone = true;
    // The reply is one framed message: server version, connection time.
    this.send([String(version), this.hooks.connectionTime()]);
  }
}
