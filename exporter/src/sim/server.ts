// The IB Gateway simulator: a TCP server speaking the TWS socket protocol to real clients.
import { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { accountSummaryMessages, executionMessages, pnlSingleMessage, positionMessage } from './answers.js';
import { formatConnectionTime } from './ib-time.js';
import * as msg from './messages.js';
import * as om from './order-messages.js';
import { OrderDesk } from './orders.js';
import { seededRandom } from './random-walk.js';
import { decodeRequest } from './requests.js';
import { encodeFrame } from './wire.js';
import type { RecordedRequest, RequestName } from './requests.js';
import { parseLiveExecution } from './scenario.js';
import type { LiveExecutionInput, PnlValues, Scenario, TimelineEvent } from './scenario.js';
import { ClientSession } from './session.js';
import { SimState } from './state.js';
import { Timeline } from './timeline.js';

export interface SimulatorOptions {
  scenario: Scenario;
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  log?: (line: string) => void;
  /** Clock for currentTime and the connection time; tests may pin it. */
  now?: () => number;
}

export interface ClientEvent {
  event: 'connected' | 'started' | 'rejected' | 'disconnected';
  sessionId: number;
  clientId: number | undefined;
}

export interface SimulatorEvents {
  request: [RecordedRequest];
  client: [ClientEvent];
  /** down/up around a restart; silent/talking around a silence. */
  lifecycle: ['down' | 'up' | 'silent' | 'talking'];
}

/** The farm notices a real Gateway sends after every startApi (reqId -1, so stoqey emits `info`). */
const CONNECT_NOTICES: ReadonlyArray<[number, string]> = [
  [2104, 'Market data farm connection is OK:usfarm'],
  [2106, 'HMDS data farm connection is OK:ushmds'],
  [2158, 'Sec-def data farm connection is OK:secdefnj'],
];

const DUPLICATE_CLIENT_ID = 326;
/** IB keeps at most two account summary subscriptions open per client and refuses a third. */
const MAX_ACCOUNT_SUMMARIES = 2;
const TOO_MANY_ACCOUNT_SUMMARIES = 322;

export class GatewaySimulator {
  readonly requests: RecordedRequest[] = [];
  readonly state: SimState;
  /** Contract lookup, orders and fills (placeOrder, cancelOrder, reqContractDetails, open orders). */
  readonly orders: OrderDesk;
  private readonly sessions = new Set<ClientSession>();
  private readonly events = new EventEmitter<SimulatorEvents>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly timeline: Timeline;
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private silent = false;
  private down = false;
  /** Client id → startApi attempts still to refuse with 326 (a gateway that has not released it). */
  private readonly heldClientIds = new Map<number, number>();
  private stopping: Promise<void> | undefined;
  private tickTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly server: Server,
    readonly scenario: Scenario,
    readonly host: string,
    readonly port: number,
    opts: SimulatorOptions,
  ) {
    this.state = new SimState(scenario);
    this.log = opts.log ?? (() => {});
    this.now = opts.now ?? Date.now;
    this.timeline = new Timeline(scenario.timeline, (e) => this.runEvent(e));
    this.orders = new OrderDesk(
      {
        state: this.state,
        send: (clientId, build) => {
          for (const s of this.startedSessions()) if (s.clientId === clientId) s.send(build(s.serverVersion));
        },
        fill: (execution) => this.addExecution(execution),
        log: this.log,
      },
      scenario.nextValidOrderId,
    );
    this.events.setMaxListeners(0);
    server.on('connection', (socket: Socket) => this.onConnection(socket));
    server.on('error', (err) => this.log(`server error: ${err.message}`));
    if (scenario.pnlTick) {
      const { intervalMs, seed, volatility } = scenario.pnlTick;
      const random = seededRandom(seed);
      this.tickTimer = setInterval(() => {
        this.state.tick(volatility, random);
        this.pushAllPnl();
        this.orders.sweep();
      }, intervalMs);
    }
  }

  static async start(opts: SimulatorOptions): Promise<GatewaySimulator> {
    const host = opts.host ?? '127.0.0.1';
    const server = createServer();
    const port = await listen(server, opts.port ?? 0, host);
    const sim = new GatewaySimulator(server, opts.scenario, host, port, opts);
    sim.log(`listening on ${host}:${port} (server version ${opts.scenario.serverVersion})`);
    return sim;
  }

  // ---- observation -------------------------------------------------------------------------

  on<K extends keyof SimulatorEvents>(event: K, listener: (...args: SimulatorEvents[K]) => void): this {
    // Node's typed EventEmitter cannot see through the generic K; the signature above is the check.
    this.events.on(event, listener as never);
    return this;
  }

  off<K extends keyof SimulatorEvents>(event: K, listener: (...args: SimulatorEvents[K]) => void): this {
    this.events.off(event, listener as never);
    return this;
  }

  /** Clients that completed startApi and are still connected. */
  connectedClients(): number {
    return [...this.sessions].filter((s) => s.started && !s.closed).length;
  }

  /** Resolves with the first recorded request (past or future) matching; rejects at the deadline. */
  waitForRequest(
    name: RequestName,
    predicate: (r: RecordedRequest) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<RecordedRequest> {
    const matches = (r: RecordedRequest): boolean => r.name === name && predicate(r);
    const found = this.requests.find(matches);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const onRequest = (r: RecordedRequest): void => {
        if (!matches(r)) return;
        clearTimeout(timer);
        this.events.off('request', onRequest);
        resolve(r);
      };
      const timer = setTimeout(() => {
        this.events.off('request', onRequest);
        reject(new Error(`no ${name} request matching the predicate within ${timeoutMs} ms`));
      }, timeoutMs);
      this.events.on('request', onRequest);
    });
  }

  // ---- controls (the timeline uses the same ones) --------------------------------------------

  /** A live fill: stored for later reqExecutions, pushed to every client, position and PnL updated. */
  addExecution(input: LiveExecutionInput): void {
    const exec = parseLiveExecution(input);
    if (!this.state.accountIds().includes(exec.account))
      throw new Error(`addExecution: unknown account ${exec.account}`);
    if (!this.state.contracts.has(exec.conId)) throw new Error(`addExecution: unknown conId ${exec.conId}`);
    const { execution, position, realizedPnl, commission } = this.state.addExecution(exec, this.now());
    this.log(`live fill ${execution.execId} ${execution.side} ${execution.shares} conId ${execution.conId}`);
    for (const s of this.startedSessions()) {
      for (const m of executionMessages(this.state, execution, -1, s.serverVersion, {
        commission,
        realizedPnl,
      }))
        s.send(m);
      if (s.positions) s.send(positionMessage(this.state, position));
      for (const [reqId, sub] of s.pnlSingle) {
        if (sub.account === position.account && sub.conId === position.conId) {
          s.send(pnlSingleMessage(s.serverVersion, reqId, position));
        }
      }
      this.pushAccountPnl(s, position.account);
    }
  }

  /** Sets the price market orders fill at, and fills resting limit orders it makes marketable. */
  setPrice(conId: number, price: number): void {
    if (!this.state.contracts.has(conId)) throw new Error(`setPrice: unknown conId ${conId}`);
    this.orders.setPrice(conId, price);
  }

  /** Replaces PnL values (null = unset) of a position (with conId) or of the account, and pushes them. */
  updatePnl(update: { account: string; conId?: number } & Partial<PnlValues>): void {
    this.state.setPnl(update);
    for (const s of this.startedSessions()) {
      if (update.conId === undefined) {
        this.pushAccountPnl(s, update.account);
        continue;
      }
      const p = this.state.position(update.account, update.conId);
      if (!p) continue;
      for (const [reqId, sub] of s.pnlSingle) {
        if (sub.account === p.account && sub.conId === p.conId)
          s.send(pnlSingleMessage(s.serverVersion, reqId, p));
      }
    }
  }

  /** An errMsg to every client; reqId -1 makes it a notice (1100, 2110, 10197...). */
  sendError(code: number, message: string, reqId = -1): void {
    for (const s of this.startedSessions()) s.send(msg.errMsg(s.serverVersion, reqId, code, message));
  }

  /**
   * A hostile or broken Gateway: sends `fields` as one well-framed message (any message id, any
   * field count), or a Buffer exactly as given (garbage, a lying length prefix), to every client.
   */
  sendRaw(message: readonly string[] | Buffer): void {
    const bytes = Buffer.isBuffer(message) ? message : encodeFrame(message);
    for (const s of this.startedSessions()) s.sendBytes(bytes);
  }

  /** Hard-closes every client socket; the server keeps accepting. */
  dropConnections(): void {
    for (const s of this.sessions) s.destroy();
  }

  /**
   * The next `attempts` startApi calls with this client id get error 326 and a closed socket, as
   * when a real gateway has not yet noticed that the id's previous connection is gone.
   */
  holdClientId(clientId: number, attempts = 1): void {
    this.heldClientIds.set(clientId, attempts);
  }

  /** A hung Gateway: sockets stay open, nothing is sent; requests are still recorded. */
  setSilent(silent: boolean): void {
    this.silent = silent;
    this.log(silent ? 'silent' : 'talking again');
    this.events.emit('lifecycle', silent ? 'silent' : 'talking');
  }

  /** Closes every socket and refuses connections for downMs, then listens again on the same port. */
  restart(downMs: number): void {
    if (this.down || this.stopping) return;
    this.down = true;
    this.log(`restarting: down for ${downMs} ms`);
    this.server.close();
    this.dropConnections();
    this.events.emit('lifecycle', 'down');
    this.later(downMs, () => {
      if (this.stopping) return;
      listen(this.server, this.port, this.host).then(
        () => {
          this.down = false;
          this.log(`back up on ${this.host}:${this.port}`);
          this.events.emit('lifecycle', 'up');
        },
        (err: Error) => this.log(`cannot listen again: ${err.message}`),
      );
    });
  }

  /** Closes everything; safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      this.timeline.stop();
      clearInterval(this.tickTimer);
      for (const t of this.timers) clearTimeout(t);
      this.timers.clear();
      this.dropConnections();
      // close() reports ERR_SERVER_NOT_RUNNING while restarting; stopped is stopped either way.
      this.server.close(() => resolve());
    });
    return this.stopping;
  }

  // ---- internals ---------------------------------------------------------------------------

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private startedSessions(): ClientSession[] {
    return [...this.sessions].filter((s) => s.started && !s.closed);
  }

  private onConnection(socket: Socket): void {
    if (this.down || this.stopping) {
      socket.destroy();
      return;
    }
    const session = new ClientSession(socket, {
      serverVersion: this.scenario.serverVersion,
      connectionTime: () => formatConnectionTime(this.now()),
      isSilent: () => this.silent,
      onMessage: (s, fields) => this.onMessage(s, fields),
      onClose: (s) => {
        this.sessions.delete(s);
        this.log(`${s.label}: disconnected`);
        this.emitClient('disconnected', s);
      },
      log: this.log,
    });
    this.sessions.add(session);
    this.emitClient('connected', session);
  }

  private emitClient(event: ClientEvent['event'], s: ClientSession): void {
    const e: ClientEvent = { event, sessionId: s.id, clientId: s.clientId };
    this.events.emit('client', e);
  }

  private onMessage(s: ClientSession, fields: string[]): void {
    const r = decodeRequest(fields, {
      clientId: s.clientId ?? -1,
      serverVersion: s.serverVersion,
      at: Date.now(),
    });
    this.requests.push(r);
    this.events.emit('request', r);
    if (this.silent) return;
    if (r.name === 'startApi') {
      this.onStartApi(s, r.clientId);
      return;
    }
    // A real Gateway ignores requests before startApi.
    if (!s.started) return;
    this.answer(s, r);
  }

  private onStartApi(s: ClientSession, clientId: number): void {
    if (s.started) return;
    const held = this.heldClientIds.get(clientId) ?? 0;
    if (held > 0) this.heldClientIds.set(clientId, held - 1);
    const taken = held > 0 || this.startedSessions().some((other) => other.clientId === clientId);
    if (taken) {
      s.send(
        msg.errMsg(
          s.serverVersion,
          -1,
          DUPLICATE_CLIENT_ID,
          'Unable to connect as the client id is already in use. Retry with a unique client id.',
        ),
      );
      this.log(`${s.label}: client id ${clientId} already in use, closing`);
      this.emitClient('rejected', s);
      s.end();
      return;
    }
    s.clientId = clientId;
    s.started = true;
    s.send(msg.managedAccounts(this.state.accountIds()));
    s.send(msg.nextValidId(this.orders.nextValidId()));
    for (const [code, text] of CONNECT_NOTICES) s.send(msg.errMsg(s.serverVersion, -1, code, text));
    this.log(`${s.label}: started (server version ${s.serverVersion})`);
    this.emitClient('started', s);
    this.timeline.start();
  }

  private answer(s: ClientSession, r: RecordedRequest): void {
    const v = s.serverVersion;
    switch (r.name) {
      case 'reqCurrentTime':
        s.send(msg.currentTime(Math.floor(this.now() / 1000)));
        return;
      case 'reqIds':
        s.send(msg.nextValidId(this.orders.nextValidId()));
        return;
      case 'reqContractDetails':
        for (const m of this.orders.contractDetails(v, r)) s.send(m);
        return;
      case 'placeOrder':
        if (s.clientId !== undefined) this.orders.place(s.clientId, r);
        return;
      case 'cancelOrder':
        if (s.clientId !== undefined && r.orderId !== undefined) this.orders.cancel(s.clientId, r.orderId);
        return;
      case 'reqOpenOrders':
      case 'reqAllOpenOrders':
        for (const o of this.orders.open(r.name === 'reqOpenOrders' ? s.clientId : undefined)) {
          const contract = this.state.contracts.get(o.conId);
          if (contract) s.send(om.openOrder(v, o, contract));
          s.send(om.orderStatus(v, o));
        }
        s.send(om.openOrderEnd());
        return;
      case 'reqManagedAccts':
        s.send(msg.managedAccounts(this.state.accountIds()));
        return;
      case 'reqPositions':
        s.positions = true;
        for (const p of this.state.allPositions()) s.send(positionMessage(this.state, p));
        s.send(msg.positionEnd());
        return;
      case 'cancelPositions':
        s.positions = false;
        return;
      case 'reqExecutions': {
        if (!r.filter || r.reqId === undefined) return;
        const reqId = r.reqId;
        const matching = this.state.matchingExecutions(r.filter, (t) =>
          this.log(`${s.label}: reqExecutions time ${JSON.stringify(t)} not understood, ignored`),
        );
        // Corked, the answer leaves in a few large writes instead of one syscall per message: a
        // 100,000-fill backfill (bench/) would otherwise be paced by the simulator, not the client.
        s.socket.cork();
        for (const e of matching) for (const m of executionMessages(this.state, e, reqId, v)) s.send(m);
        s.send(msg.execDetailsEnd(reqId));
        s.socket.uncork();
        return;
      }
      case 'reqPnL':
        if (r.reqId === undefined || r.account === undefined) return;
        s.pnl.set(r.reqId, r.account);
        this.pushAccountPnl(s, r.account, r.reqId);
        return;
      case 'cancelPnL':
        if (r.reqId !== undefined) s.pnl.delete(r.reqId);
        return;
      case 'reqPnLSingle': {
        if (r.reqId === undefined || r.account === undefined || r.conId === undefined) return;
        s.pnlSingle.set(r.reqId, { account: r.account, conId: r.conId });
        // IB answers nothing at all for a position the account does not hold.
        const p = this.state.position(r.account, r.conId);
        if (p) s.send(pnlSingleMessage(v, r.reqId, p));
        return;
      }
      case 'cancelPnLSingle':
        if (r.reqId !== undefined) s.pnlSingle.delete(r.reqId);
        return;
      case 'reqAccountSummary':
        if (r.reqId === undefined) return;
        // Subscriptions outlive a 1100/1101 outage (sendError touches none): only a cancel ends one.
        if (s.summaries.size >= MAX_ACCOUNT_SUMMARIES && !s.summaries.has(r.reqId)) {
          s.send(
            msg.errMsg(
              v,
              r.reqId,
              TOO_MANY_ACCOUNT_SUMMARIES,
              "Error processing request:-'bd' : cause - Maximum number of account summary requests exceeded",
            ),
          );
          return;
        }
        s.summaries.add(r.reqId);
        for (const m of accountSummaryMessages(this.scenario.accounts, r.reqId, r.tags ?? [])) s.send(m);
        return;
      case 'cancelAccountSummary':
        if (r.reqId !== undefined) s.summaries.delete(r.reqId);
        return;
      default:
        // Everything unknown: recorded, not answered.
        return;
    }
  }

  /** Sends the account's pnl to the session's subscriptions for it (or only to `onlyReqId`). */
  private pushAccountPnl(s: ClientSession, account: string, onlyReqId?: number): void {
    const values = this.state.accountPnl(account);
    if (!values) return;
    for (const [reqId, subAccount] of s.pnl) {
      if (subAccount !== account || (onlyReqId !== undefined && reqId !== onlyReqId)) continue;
      s.send(msg.pnl(s.serverVersion, reqId, values.daily, values.unrealized, values.realized));
    }
  }

  private pushAllPnl(): void {
    for (const s of this.startedSessions()) {
      for (const account of new Set(s.pnl.values())) this.pushAccountPnl(s, account);
      for (const [reqId, sub] of s.pnlSingle) {
        const p = this.state.position(sub.account, sub.conId);
        if (p) s.send(pnlSingleMessage(s.serverVersion, reqId, p));
      }
    }
  }

  private runEvent(e: TimelineEvent): void {
    this.log(`timeline +${e.atMs} ms: ${e.type}`);
    switch (e.type) {
      case 'execution':
        this.addExecution(e.execution);
        return;
      case 'pnl': {
        const { atMs: _atMs, type: _type, ...update } = e;
        this.updatePnl(update);
        return;
      }
      case 'error':
        this.sendError(e.code, e.message, e.reqId);
        return;
      case 'disconnect':
        this.dropConnections();
        return;
      case 'silence':
        this.setSilent(true);
        this.later(e.durationMs, () => this.setSilent(false));
        return;
      case 'restart':
        this.restart(e.downMs);
        return;
    }
  }
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}
