// WS /ws/updates, the IBKR PnL Tracker's live feed, with the `ws` library: each client gets the
// current message on connect and again whenever it changes, at most once per interval. The hub
// bounds what it holds: at most `maxClients` (beyond that the upgrade is answered 503), a client
// whose unsent data exceeds `maxBufferedBytes` is dropped rather than buffered (one slow browser
// tab must not grow the exporter's memory), and a client that misses a heartbeat ping is closed.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import { BEARER_PROTOCOL_PREFIX } from './auth.js';
import { refuseUpgrade } from './refusal.js';
import type { UpgradeHandler } from './refusal.js';

export const UPDATES_PATH = '/ws/updates';

/** Close code for a client dropped for not reading (RFC 6455 1008: policy violation). */
const CLOSE_TOO_SLOW = 1008;

export interface UpdatesOptions {
  /** The message as it is now, serialised; compared as text to decide whether it changed. */
  message: () => string | Promise<string>;
  maxClients: number;
  /** Ping interval; a client that has not answered the previous ping by the next one is closed. */
  heartbeatMs: number;
  /** A client is sent at most one message per interval (the tracker: once a second). */
  minIntervalMs: number;
  /** Unsent bytes (ws's bufferedAmount) above which a client is dropped. */
  maxBufferedBytes: number;
  /** Browser origins besides the page's own that may connect (IBKR_CORS_ORIGINS; `*` for any). */
  origins: readonly string[];
  logger: Logger;
}

interface Client {
  socket: WebSocket;
  /** The text last sent to it; undefined before the first. */
  sent?: string;
  sentAt: number;
  alive: boolean;
}

export class UpdatesHub {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: 1024,
    clientTracking: false,
    handleProtocols: feedProtocol,
  });
  private readonly clients = new Set<Client>();
  private readonly tick: NodeJS.Timeout;
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;
  /** A change check under way (the message may come from the database): ticks do not overlap. */
  private checking = false;
  /** Clients dropped for not keeping up, since start. */
  slowDropped = 0;
  /** Upgrades refused because maxClients were connected. */
  refused = 0;
  /** Change checks run while clients were connected. */
  ticks = 0;

  constructor(private readonly options: UpdatesOptions) {
    this.tick = setInterval(() => void this.broadcast(), Math.min(options.minIntervalMs, 1000));
    this.heartbeat = setInterval(() => this.ping(), options.heartbeatMs);
    this.tick.unref();
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /**
   * Serves the WebSocket upgrade of UPDATES_PATH (other paths get 404), for every listener that
   * hands it upgrades: one hub, so IBKR_WS_MAX_CLIENTS bounds the process, whichever port the
   * clients came through. Basic auth and the read token are the listener's gates, checked before.
   */
  readonly upgrade: UpgradeHandler = (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== UPDATES_PATH) return refuse(socket, 404, `no WebSocket at ${path}`);
    if (!this.originAllowed(req)) return refuse(socket, 403, 'origin not allowed: see IBKR_CORS_ORIGINS');
    if (this.closed) return refuse(socket, 503, 'shutting down');
    if (this.clients.size >= this.options.maxClients) {
      this.refused += 1;
      return refuse(socket, 503, `at most ${this.options.maxClients} clients (IBKR_WS_MAX_CLIENTS)`);
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws));
  };

  /**
   * Browsers do not apply CORS to WebSockets, so without this check any web page the user opens
   * could read the positions from a local exporter. Clients that are not browsers send no Origin.
   */
  private originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    const { origins } = this.options;
    if (origins.includes('*') || origins.includes(origin)) return true;
    return URL.canParse(origin) && new URL(origin).host === req.headers.host;
  }

  private connected(socket: WebSocket): void {
    const client: Client = { socket, sentAt: 0, alive: true };
    this.clients.add(client);
    socket.on('pong', () => (client.alive = true));
    socket.on('close', () => this.clients.delete(client));
    socket.on('error', (error) => {
      this.options.logger.debug({ err: error }, 'update client error');
      this.clients.delete(client);
    });
    // Clients only listen; what they send is ignored (maxPayload bounds it).
    this.current().then(
      (text) => text !== undefined && this.send(client, text, Date.now()),
      () => undefined,
    );
  }

  /** The message now; undefined (logged) if it could not be built, so no client gets a broken one. */
  private async current(): Promise<string | undefined> {
    try {
      return await this.options.message();
    } catch (error) {
      this.options.logger.error({ err: error }, 'could not build the /ws/updates message');
      return undefined;
    }
  }

  /** Sends the current message to every client that has not got it and may get one now. */
  private async broadcast(): Promise<void> {
    if (this.clients.size === 0 || this.checking) return;
    this.ticks += 1;
    this.checking = true;
    const text = await this.current();
    this.checking = false;
    if (text === undefined) return;
    const now = Date.now();
    for (const client of this.clients) {
      if (client.sent !== text && now - client.sentAt >= this.options.minIntervalMs)
        this.send(client, text, now);
    }
  }

  private send(client: Client, text: string, now: number): void {
    const { socket } = client;
    if (socket.readyState !== WebSocket.OPEN) return;
    if (socket.bufferedAmount > this.options.maxBufferedBytes) {
      this.slowDropped += 1;
      this.options.logger.info(
        { buffered: socket.bufferedAmount },
        'dropped a /ws/updates client that does not keep up',
      );
      this.clients.delete(client);
      socket.close(CLOSE_TOO_SLOW, 'too slow: messages are not being read');
      // A client that does not read will not read the close frame either.
      setTimeout(() => socket.terminate(), 1000).unref();
      return;
    }
    client.sent = text;
    client.sentAt = now;
    socket.send(text);
  }

  private ping(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        this.clients.delete(client);
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
  }

  /** Drops every client and stops the timers; the HTTP servers are the caller's to close. */
  close(): void {
    this.closed = true;
    clearInterval(this.tick);
    clearInterval(this.heartbeat);
    for (const client of this.clients) client.socket.terminate();
    this.clients.clear();
    this.wss.close();
  }
}

/**
 * The subprotocol answered: the first one offered that is not the bearer token (a browser fails a
 * handshake that selects none of the protocols it offered, and the token is not echoed back).
 */
function feedProtocol(offered: Set<string>): string | false {
  return [...offered].find((p) => !p.startsWith(BEARER_PROTOCOL_PREFIX)) ?? false;
}

function refuse(socket: Duplex, status: number, error: string): void {
  refuseUpgrade(socket, { status, error });
}
