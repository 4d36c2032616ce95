// Clients that misbehave, and server versions other than the default.
import { connect as tcpConnect } from 'node:net';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { EventName } from '@stoqey/ib';
import type { CommissionReport, Contract, Execution } from '@stoqey/ib';
import { describe, expect, it } from 'vitest';
import { loadScenario } from './scenario.js';
import type { GatewaySimulator } from './server.js';
import { collect, nextEvent, useHarness } from '../../test/support/ib-client.js';
import { API_PREFIX, FrameReader, encodeFrame, splitFields } from './wire.js';

const basic = () => loadScenario(fileURLToPath(new URL('./scenarios/basic.json', import.meta.url)));

function rawSocket(sim: GatewaySimulator): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: sim.host, port: sim.port }, () => resolve(socket));
    socket.on('error', reject);
  });
}

function handshake(): Buffer {
  const range = Buffer.from('v100..193');
  const length = Buffer.alloc(4);
  length.writeInt32BE(range.length, 0);
  return Buffer.concat([API_PREFIX, length, range]);
}

describe('hostile clients', () => {
  const h = useHarness();

  it('drops a client that sends garbage and keeps serving others', async () => {
    const sim = await h.startSim(await basic());
    const socket = await rawSocket(sim);
    const closed = nextEvent(socket, 'close');
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await closed;
    const client = await h.connect(sim);
    expect(client.errors).toEqual([]);
  });

  it('survives a client that closes in the middle of a frame', async () => {
    const sim = await h.startSim(await basic());
    const socket = await rawSocket(sim);
    const gone = nextEvent(sim, 'client', (e) => (e as { event: string }).event === 'disconnected');
    socket.end(Buffer.concat([handshake(), encodeFrame(['71', '2', '5', '']).subarray(0, 6)]));
    await gone;
    await h.connect(sim, 5);
  });

  it('records unknown message ids and requests sent before startApi, and answers neither', async () => {
    const sim = await h.startSim(await basic());
    const socket = await rawSocket(sim);
    const reader = new FrameReader({ expectApiPrefix: false });
    const ids: string[] = [];
    // Everything the server answers, up to the last farm notice of the startApi reply.
    const lastNotice = new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        for (const frame of reader.push(chunk)) {
          const fields = splitFields(frame);
          ids.push(fields[0] ?? '');
          if (fields[0] === '4' && fields[3] === '2158') resolve();
        }
      });
    });
    socket.write(handshake());
    socket.write(encodeFrame(['49', '1'])); // reqCurrentTime before startApi
    socket.write(Buffer.concat([encodeFrame(['71', '2', '9', '']), encodeFrame(['999', 'x', 'y'])]));
    const unknown = await sim.waitForRequest('unknown');
    expect(unknown).toMatchObject({ msgId: 999, clientId: 9, fields: ['x', 'y'] });
    expect((await sim.waitForRequest('reqCurrentTime')).clientId).toBe(-1);
    await lastNotice;
    // Version reply, managedAccounts, nextValidId, three notices; no currentTime (49).
    expect(ids).toEqual(['176', '15', '9', '4', '4', '4']);
    socket.destroy();
  });

  it('drops a client whose version range it cannot speak', async () => {
    const sim = await h.startSim({ ...(await basic()), serverVersion: 150 });
    const socket = await rawSocket(sim);
    const closed = nextEvent(socket, 'close');
    const range = Buffer.from('v160..193');
    const length = Buffer.alloc(4);
    length.writeInt32BE(range.length, 0);
    socket.write(Buffer.concat([API_PREFIX, length, range]));
    await closed;
  });
});

describe.each([151, 166, 178, 187, 193])('server version %i', (version) => {
  const h = useHarness();

  it('is decoded without errors by the real client', async () => {
    const sim = await h.startSim({ ...(await basic()), serverVersion: version });
    const client = await h.connect(sim);
    const positionsDone = nextEvent(client.api, EventName.positionEnd);
    client.api.reqPositions();
    await positionsDone;
    const details = collect<[number, Contract, Execution]>(client.api, EventName.execDetails);
    const reports = collect<[CommissionReport]>(client.api, EventName.commissionReport);
    const execEnd = nextEvent(client.api, EventName.execDetailsEnd);
    client.api.reqExecutions(1, {});
    await execEnd;
    expect(details).toHaveLength(4);
    expect(reports).toHaveLength(4);
    const pnl = nextEvent<unknown[]>(client.api, EventName.pnl);
    const single = nextEvent<unknown[]>(client.api, EventName.pnlSingle);
    client.api.reqPnL(2, 'DU0000001', null);
    client.api.reqPnLSingle(3, 'DU0000001', null, 712345678);
    expect(await pnl).toEqual([2, 250.35, 788, 79.35]);
    expect(await single).toEqual([3, 1, undefined, 90, 79.35, 610]);
    sim.sendError(10197, 'No market data during competing live session');
    const notice = await nextEvent<[string, number]>(
      client.api,
      EventName.info,
      (_m, code) => code === 10197,
    );
    expect(notice[0]).toBe('No market data during competing live session');
    sim.sendError(200, 'No security definition has been found for the request', 3);
    const bound = await nextEvent<[Error, number, number]>(
      client.api,
      EventName.error,
      (_e, code) => code === 200,
    );
    expect(bound[2]).toBe(3);
    expect(client.errors.filter((e) => e.code !== 200)).toEqual([]);
  });
});
