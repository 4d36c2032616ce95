// A request refused before any route sees it (basic auth, the read token, a port that does not
// serve the path), written either as an HTTP answer or, for a WebSocket upgrade, as raw HTTP on the
// socket: an upgrade bypasses the request handler, so the same refusal must be spelled out there.
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export interface Refusal {
  status: number;
  error: string;
  headers?: Record<string, string>;
}

/** A check run on a request (or an upgrade) before it goes further: undefined lets it pass. */
export type Gate = (req: IncomingMessage) => Refusal | undefined | Promise<Refusal | undefined>;

/** What a listener hands an upgrade to: `ws`'s handleUpgrade arguments. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export function answer(res: ServerResponse, refusal: Refusal): void {
  res.statusCode = refusal.status;
  for (const [name, value] of Object.entries(refusal.headers ?? {})) res.setHeader(name, value);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ error: refusal.error }));
}

/** The refusal as the handshake's answer; the socket is destroyed once it is written. */
export function refuseUpgrade(socket: Duplex, refusal: Refusal): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: refusal.error });
  const headers = {
    ...refusal.headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? ''}\r\n${lines.join('')}\r\n${body}`,
  );
}

/** `next` behind the gate, for requests. */
export function gated(gate: Gate, next: (req: IncomingMessage, res: ServerResponse) => void) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    passes(
      gate,
      req,
      (refusal) => answer(res, refusal),
      () => next(req, res),
    );
  };
}

/** `next` behind the gate, for upgrades. */
export function gatedUpgrade(gate: Gate, next: UpgradeHandler): UpgradeHandler {
  return (req, socket, head) => {
    passes(
      gate,
      req,
      (refusal) => refuseUpgrade(socket, refusal),
      () => next(req, socket, head),
    );
  };
}

/** Runs the gate; synchronous gates stay synchronous, so express sees no extra tick. */
function passes(
  gate: Gate,
  req: IncomingMessage,
  refuse: (refusal: Refusal) => void,
  pass: () => void,
): void {
  const decide = (refusal: Refusal | undefined) => (refusal ? refuse(refusal) : pass());
  let outcome: ReturnType<Gate>;
  try {
    outcome = gate(req);
  } catch {
    return refuse({ status: 500, error: 'internal error' });
  }
  if (outcome instanceof Promise) {
    outcome.then(decide, () => refuse({ status: 500, error: 'internal error' }));
  } else decide(outcome);
}
