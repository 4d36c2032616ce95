// One connection to the gateway on one client id, and its whole life: a fresh IBApi per attempt,
// the socket guard, the API handshake (nextValidId and managedAccounts) with a deadline, keepalive
// probes that detect a hung gateway, reconnects with jittered backoff, and paced requests that are
// only ever sent on the live, handshaken connection they were made for (stoqey would otherwise
// queue them and replay them on the next one: a subscription doubled, an order placed twice).
// The sync session and the order session each compose one; they only add their own messages.
import { EventName, IBApi } from '@stoqey/ib';
import { Backoff } from './backoff.js';
import { Heartbeat, graceMs } from './heartbeat.js';
import { Pacer } from './pacer.js';
import { guardSocket } from './socket-guard.js';

/** Registers a handler on the current IBApi; it never throws into stoqey's decoder loop. */
export type Listen = (event: EventName, handler: (...args: never[]) => void) => void;

export interface ConnectionHooks {
  /** Registers the owner's handlers on a fresh IBApi; they only ever see that connection's events. */
  listen(on: Listen): void;
  /** A TCP connection attempt starts; `retry` for every attempt after the first. */
  connecting?(retry: boolean): void;
  /** The API handshake completed; requests may be sent from here on. */
  ready(accounts: string[], nextValidId: number): void;
  /** A keepalive probe was answered after `rttMs`. */
  heartbeat?(rttMs: number): void;
  /** The connection was given up: no handshake in time, or two keepalive probes unanswered. */
  timedOut?(kind: 'handshake' | 'heartbeat'): void;
  /**
   * The connection's state is gone (on every close, and before every attempt): whatever the owner
   * keeps per connection (subscriptions, pending lookups) must be dropped, never carried over.
   */
  detached?(reason: string): void;
  /** The socket closed, or an attempt failed; `expected` when stop() closed it. */
  closed(reason: string, expected: boolean): void;
  /** The next attempt starts in `delayMs` (the backoff's choice). */
  retrying?(delayMs: number): void;
  /** A handler threw, or the socket guard gave up on the stream. */
  problem(message: string): void;
}

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId: number;
  /** Names the connection in close reasons: 'gateway' gives "gateway connection closed". */
  name: string;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** The gateway must finish the API handshake this long after the attempt starts. */
  handshakeTimeoutMs: number;
  /** Interval of the reqCurrentTime probes; none when undefined. */
  keepaliveMs?: number;
  /** Randomness of the reconnect jitter; tests may pin it. */
  random?: () => number;
}

/** How long stop() lets queued requests go out before it closes the socket anyway. */
export const STOP_DRAIN_MS = 2000;
/** How long stop() waits for stoqey's 'disconnected' after asking it to disconnect. */
const DISCONNECT_WAIT_MS = 1000;

export class IbConnection {
  private api?: IBApi;
  private running = false;
  /** Given to stop(): the reason its own close is reported with. */
  private stopReason = 'stopping';
  private handshake: { accounts?: string[]; nextId?: number } = {};
  private isReady = false;
  private readonly backoff: Backoff;
  private attempts = 0;
  private pacer = new Pacer();
  private readonly heartbeat = new Heartbeat();
  /**
   * Whether this connection has answered a keepalive (or, without keepalives, finished the
   * handshake). When a stable connection is lost the backoff starts over; not when the owner gave
   * it up with reconnect(): whatever made it do so (a ledger that cannot be written) is probably
   * still there, and retrying at the minimum delay would hammer the gateway.
   */
  private stable = false;
  /** Requests handed to stoqey and not yet written to the socket (its limiter may hold some). */
  private inFlight = 0;
  private flushed: Array<() => void> = [];
  private reconnectTimer?: NodeJS.Timeout;
  private handshakeTimer?: NodeJS.Timeout;
  private keepaliveTimer?: NodeJS.Timeout;
  private graceTimer?: NodeJS.Timeout;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly hooks: ConnectionHooks,
  ) {
    this.backoff = new Backoff(options.reconnectMinMs, options.reconnectMaxMs, options.random);
  }

  /** Handshake done on the current connection: requests will be sent. */
  get ready(): boolean {
    return this.isReady;
  }

  /** The API server version the gateway announced on the current, handshaken connection. */
  get serverVersion(): number | undefined {
    return this.isReady ? this.api?.serverVersion : undefined;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  /**
   * Closes for good. On a ready connection `farewell` may queue last requests (cancellations);
   * they go out through the pacer and stoqey's limiter for at most STOP_DRAIN_MS, and whatever has
   * not gone out by then the gateway drops with the socket anyway.
   */
  async stop(reason: string, farewell?: () => void): Promise<void> {
    this.running = false;
    this.stopReason = reason;
    clearTimeout(this.reconnectTimer);
    this.stopTimers();
    const api = this.api;
    if (!api) return;
    if (this.isReady) {
      farewell?.();
      let deadline: NodeJS.Timeout | undefined;
      await Promise.race([
        this.pacer.whenDrained().then(() => this.whenFlushed()),
        new Promise((resolve) => (deadline = setTimeout(resolve, STOP_DRAIN_MS))),
      ]);
      clearTimeout(deadline);
    }
    const closed = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, DISCONNECT_WAIT_MS);
      api.once(EventName.disconnected, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    api.disconnect();
    await closed;
    this.teardown(reason);
  }

  /** Closes the connection (if any) and reconnects after the backoff delay. */
  reconnect(reason: string): void {
    if (this.running && this.api) this.close(reason, true);
  }

  /**
   * Every request goes through the pacer, and only to the connection it was made for: nothing is
   * sent before the handshake, and what is still queued when the connection closes is dropped.
   * A request that returns false decided not to go after all (a subscription no longer wanted).
   */
  send(request: (api: IBApi) => unknown, urgent = false): void {
    const api = this.api;
    if (!api || !this.isReady) return;
    this.pacer.send(() => {
      if (this.api !== api || !this.isReady) return;
      this.inFlight += 1;
      if (request(api) === false) this.inFlight -= 1;
    }, urgent);
  }

  private connect(): void {
    this.teardown('reconnecting');
    const api = new IBApi({ host: this.options.host, port: this.options.port });
    this.api = api;
    this.handshake = {};
    this.stable = false;
    this.listen(api);
    if (!guardSocket(api, (reason) => this.hooks.problem(reason))) {
      this.hooks.problem('socket guard not installed: @stoqey/ib internals changed');
    }
    this.hooks.connecting?.(this.attempts++ > 0);
    // A gateway can accept TCP and never answer: a hung process, or a login (2FA) still pending.
    this.handshakeTimer = setTimeout(() => {
      this.hooks.timedOut?.('handshake');
      this.close(
        `no API handshake within ${this.options.handshakeTimeoutMs / 1000} s (gateway hung or not logged in)`,
      );
    }, this.options.handshakeTimeoutMs);
    api.connect(this.options.clientId);
  }

  /**
   * Gives up the current connection now instead of waiting for stoqey's 'disconnected': the old
   * client is detached first, so its late events are ignored, then it is closed.
   */
  private close(reason: string, givenUp = false): void {
    const api = this.api;
    if (!api) return;
    if (this.stable && !givenUp) this.backoff.reset();
    this.teardown(reason);
    api.disconnect();
    this.hooks.closed(reason, false);
    this.scheduleReconnect();
  }

  private stopTimers(): void {
    clearTimeout(this.handshakeTimer);
    clearInterval(this.keepaliveTimer);
    clearTimeout(this.graceTimer);
  }

  /** Drops the old client: a fresh IBApi per connection means no stale request is ever replayed. */
  private teardown(reason: string): void {
    this.isReady = false;
    this.hooks.detached?.(reason);
    this.stopTimers();
    this.heartbeat.reset();
    this.pacer.clear();
    this.pacer = new Pacer();
    this.inFlight = 0;
    this.messageSent();
    if (this.api) {
      this.api.removeAllListeners();
      // stoqey emits 'error' for late socket errors; an EventEmitter without a listener would throw.
      this.api.on(EventName.error, () => undefined);
      this.api = undefined;
    }
  }

  private scheduleReconnect(): void {
    if (!this.running) return;
    clearTimeout(this.reconnectTimer);
    // The same client id every time: after IB's 326 (id still held by our previous session) the
    // answer is to wait and retry it, not to take another id and leave a ghost behind.
    const delayMs = this.backoff.next();
    this.hooks.retrying?.(delayMs);
    this.reconnectTimer = setTimeout(() => this.connect(), delayMs);
  }

  /** Resolves once stoqey has written every request handed to it (each request is one message). */
  private whenFlushed(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.flushed.push(resolve));
  }

  private messageSent(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (this.inFlight > 0) return;
    const waiting = this.flushed;
    this.flushed = [];
    for (const resolve of waiting) resolve();
  }

  private keepalive(keepaliveMs: number): void {
    const action = this.heartbeat.tick(performance.now());
    this.send((api) => api.reqCurrentTime(), true);
    if (action !== 'last_chance') return;
    clearTimeout(this.graceTimer);
    this.graceTimer = setTimeout(() => {
      if (!this.heartbeat.isDead()) return;
      this.hooks.timedOut?.('heartbeat');
      this.close('no answer to two keepalive probes (gateway hung)');
    }, graceMs(keepaliveMs));
  }

  /** Registers a listener that can never throw into stoqey's decoder loop. */
  private on(api: IBApi, event: EventName, handler: (...args: never[]) => void): void {
    // IBApi's typed overloads cannot take a computed event name; the emitter itself can.
    (api as unknown as NodeJS.EventEmitter).on(event, (...args: unknown[]) => {
      if (this.api !== api) return;
      try {
        (handler as (...a: unknown[]) => void)(...args);
      } catch (error) {
        this.hooks.problem(
          `${event} handler failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    });
  }

  private listen(api: IBApi): void {
    // The owner's handlers first: they see a message before the handshake acts on it.
    this.hooks.listen((event, handler) => this.on(api, event, handler));
    this.on(api, EventName.sent, () => this.messageSent());
    this.on(api, EventName.managedAccounts, (list: string) => {
      // "DU1," would give an empty account otherwise (docs/tws-protocol.md#pitfalls-of-stoqeyib-1610).
      this.handshake.accounts = String(list ?? '')
        .split(',')
        .map((a) => a.trim())
        .filter((a) => a.length > 0);
      this.maybeReady();
    });
    this.on(api, EventName.nextValidId, (orderId: number) => {
      this.handshake.nextId = orderId;
      this.maybeReady();
    });
    this.on(api, EventName.disconnected, () => {
      const wasReady = this.isReady;
      const name = this.options.name;
      if (!this.running) {
        this.teardown(this.stopReason);
        this.hooks.closed(this.stopReason, true);
        return;
      }
      const reason = wasReady ? `${name} connection closed` : `${name} connection failed`;
      if (this.stable) this.backoff.reset();
      this.teardown(reason);
      this.hooks.closed(reason, false);
      this.scheduleReconnect();
    });
    this.on(api, EventName.currentTime, () => {
      const rtt = this.heartbeat.answered(performance.now());
      if (rtt === undefined) return;
      // Handshaken and answering: a stable connection, so the next loss starts from min.
      this.stable = true;
      this.hooks.heartbeat?.(rtt);
    });
  }

  private maybeReady(): void {
    const { accounts, nextId } = this.handshake;
    if (this.isReady || !accounts || nextId === undefined) return;
    this.isReady = true;
    clearTimeout(this.handshakeTimer);
    const keepaliveMs = this.options.keepaliveMs;
    if (keepaliveMs === undefined) {
      // Without probes the handshake is the only sign of a working gateway.
      this.stable = true;
    } else {
      this.keepaliveTimer = setInterval(() => this.keepalive(keepaliveMs), keepaliveMs);
    }
    this.hooks.ready(accounts, nextId);
  }
}
