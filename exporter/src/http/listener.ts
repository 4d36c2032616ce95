// One HTTP or HTTPS listener for a request handler, with the web configuration's TLS settings
// and client-certificate policy (exporter-toolkit's client_auth_type, Go's tls.ClientAuthType).
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { TlsSettings, WebConfig } from '../config/web-config.js';
import { refuseUpgrade } from './refusal.js';
import type { UpgradeHandler } from './refusal.js';
import { webGuard, webUpgradeGuard } from './web-guard.js';

export interface Listener {
  readonly server: Server;
  /** e.g. https://127.0.0.1:8000 (0.0.0.0 shown as 127.0.0.1). */
  readonly url: string;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Node verifies a presented certificate only with rejectUnauthorized; the policies between "do
 * not ask" and "require a verified one" are checked on each new TLS connection.
 */
function clientCertPolicy(tls: TlsSettings): ((socket: TLSSocket) => boolean) | undefined {
  const presented = (socket: TLSSocket) => Object.keys(socket.getPeerCertificate() ?? {}).length > 0;
  switch (tls.clientAuth) {
    case 'RequireAnyClientCert':
      return presented;
    case 'VerifyClientCertIfGiven':
      return (socket) => !presented(socket) || socket.authorized;
    default:
      return undefined;
  }
}

function httpsServer(tls: TlsSettings, handler: Handler): Server {
  const server = createHttpsServer(
    {
      cert: tls.cert,
      key: tls.key,
      ca: tls.ca,
      minVersion: tls.minVersion,
      maxVersion: tls.maxVersion,
      requestCert: tls.clientAuth !== 'NoClientCert',
      rejectUnauthorized: tls.clientAuth === 'RequireAndVerifyClientCert',
    },
    handler,
  );
  const allowed = clientCertPolicy(tls);
  if (allowed) {
    server.on('secureConnection', (socket: TLSSocket) => {
      if (!allowed(socket)) socket.destroy();
    });
  }
  return server;
}

export async function listen(
  handler: Handler,
  options: { host: string; port: number; web?: WebConfig; upgrade?: UpgradeHandler },
): Promise<Listener> {
  const guarded = webGuard(options.web, handler);
  const tls = options.web?.tls;
  const server = tls ? httpsServer(tls, guarded) : createHttpServer(guarded);
  // An upgrade never reaches the request handler, so it gets the same web-config gate here; the
  // https server emits it too, after the TLS handshake and its client-certificate policy.
  const upgrade = options.upgrade && webUpgradeGuard(options.web, options.upgrade);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node stops watching a socket it hands over: a reset while the gates decide (bcrypt is
    // asynchronous) must not become an unhandled 'error'.
    socket.on('error', () => socket.destroy());
    if (upgrade) upgrade(req, socket, head);
    else refuseUpgrade(socket, { status: 404, error: 'no WebSocket on this port' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const shown = host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host;
  return {
    server,
    url: `${tls ? 'https' : 'http'}://${shown}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
