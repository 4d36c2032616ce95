// Connection health as plain state; the session reports what happened, the metrics read it.
import type { Stream } from './types.js';

export class Health {
  readonly startedAt: number;
  gatewayUp = false;
  /** False between IB's 1100/2110 ("connectivity lost") and 1101/1102 ("restored"). */
  serverConnected = false;
  lastMessageAt?: number;
  lastConnectedAt?: number;
  lastDisconnectedAt?: number;
  lastError?: string;
  connects = 0;
  disconnects = 0;
  /** Gateway messages that could not be turned into records and were dropped. */
  protocolErrors = 0;
  accounts: string[] = [];
  readonly errors = new Map<number, number>();
  readonly streams = new Map<Stream, number>();

  constructor(now: number, streams: Iterable<{ stream: Stream; updatedAt: number }> = []) {
    this.startedAt = now;
    for (const { stream, updatedAt } of streams) this.streams.set(stream, updatedAt);
  }

  connected(now: number, accounts: string[]): void {
    this.gatewayUp = true;
    this.serverConnected = true;
    this.accounts = accounts;
    this.connects += 1;
    this.lastConnectedAt = now;
    this.lastError = undefined;
  }

  disconnected(now: number, reason?: string): void {
    if (this.gatewayUp) {
      this.disconnects += 1;
      this.lastDisconnectedAt = now;
    }
    this.gatewayUp = false;
    this.serverConnected = false;
    if (reason) this.lastError = reason;
  }

  /** Counts every IB error or notice by code; only real problems become the last error. */
  error(code: number, message: string, informational: boolean): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
    if (!informational) this.lastError = `${code}: ${message}`;
  }

  protocolError(reason: string): void {
    this.protocolErrors += 1;
    this.lastError = reason;
  }

  messageReceived(now: number): void {
    this.lastMessageAt = now;
  }

  /** IB's 1100/2110: the gateway lost IB's servers; its socket to us stays up. */
  serverLinkLost(): void {
    this.serverConnected = false;
  }

  /** IB's 1101/1102. */
  serverLinkRestored(): void {
    this.serverConnected = true;
  }

  streamUpdated(stream: Stream, now: number): void {
    this.streams.set(stream, now);
  }
}
