// Connection health as plain state; the session reports what happened, the metrics read it.
import { nextSyncState } from './sync-state.js';
import type { SyncEvent, SyncState } from './sync-state.js';
import type { Stream } from './types.js';

/** Farm names come from gateway text: bound how many become label values. */
const MAX_FARMS = 32;

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
  state: SyncState = 'disconnected';
  stateSince: number;
  /** Connection attempts made after a failure or a lost connection (not the first one). */
  reconnectAttempts = 0;
  /** Sockets that opened but did not finish the API handshake in time. */
  handshakeTimeouts = 0;
  /** Connections closed because two keepalive probes went unanswered. */
  heartbeatTimeouts = 0;
  heartbeatRttMs?: number;
  lastHeartbeatAt?: number;
  /** Data farm name → connected, from IB's 2103–2106/2157/2158 notices on the current connection. */
  readonly farms = new Map<string, boolean>();
  /** From the last handshake: the API server version and the zone its connection time names. */
  gateway?: { serverVersion: number; timeZone?: string };
  /** IB's 10197: the same username is logged in elsewhere; cleared when data flows again. */
  competingSession = false;
  /** Writes that failed; the event was not applied and the connection was re-synced. */
  storeErrors = 0;
  /**
   * Whether the database answers: false from a failed write (or an unreachable PostgreSQL at
   * start) until a probe succeeds again. /metrics keeps serving memory meanwhile.
   */
  storeUp = true;
  /** Why the database is down, for /sync/health; never holds a password. */
  storeError?: string;
  /** The ledger's schema version; undefined until the database was reached. */
  storeSchemaVersion?: number;

  constructor(now: number, streams: Iterable<{ stream: Stream; updatedAt: number }> = []) {
    this.startedAt = now;
    this.stateSince = now;
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
    // Farm states belong to a connection; the next one reports them again.
    this.farms.clear();
    if (reason) this.lastError = reason;
  }

  /** Applies a session event to the sync state; returns whether the state changed. */
  transition(event: SyncEvent, now: number): boolean {
    const next = nextSyncState(this.state, event);
    if (next === this.state) return false;
    this.state = next;
    this.stateSince = now;
    return true;
  }

  heartbeat(now: number, rttMs: number): void {
    this.lastHeartbeatAt = now;
    this.heartbeatRttMs = rttMs;
  }

  farm(name: string, connected: boolean): void {
    if (!this.farms.has(name) && this.farms.size >= MAX_FARMS) return;
    this.farms.set(name, connected);
  }

  /** Counts every IB error or notice by code; only session problems become the last error. */
  error(code: number, message: string, sessionProblem: boolean): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
    if (sessionProblem) this.lastError = `${code}: ${message}`;
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
