// Test support: a real @stoqey/ib client connected to a simulator, and event waits with
// deadlines (tests never sleep to synchronise). Imported by tests only.
import { EventName, IBApi } from '@stoqey/ib';
import { afterEach, expect } from 'vitest';
import type { Scenario } from '../../src/sim/scenario.js';
import { GatewaySimulator } from '../../src/sim/server.js';
import type { SimulatorOptions } from '../../src/sim/server.js';

type Listener = (...args: unknown[]) => void;
interface Emitter {
  on(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
}

/** Resolves with the arguments of the first `event` accepted by `predicate`; rejects after timeoutMs. */
export function nextEvent<T extends unknown[] = unknown[]>(
  emitter: object,
  event: string,
  predicate: (...args: T) => boolean = () => true,
  timeoutMs = 5000,
): Promise<T> {
  const target = emitter as Emitter;
  return new Promise((resolve, reject) => {
    const listener: Listener = (...args) => {
      if (!predicate(...(args as T))) return;
      clearTimeout(timer);
      target.off(event, listener);
      resolve(args as T);
    };
    const timer = setTimeout(() => {
      target.off(event, listener);
      reject(new Error(`no ${event} event within ${timeoutMs} ms`));
    }, timeoutMs);
    target.on(event, listener);
  });
}

/** Records every emission of `event` from now on. */
export function collect<T extends unknown[] = unknown[]>(emitter: object, event: string): T[] {
  const seen: T[] = [];
  (emitter as Emitter).on(event, (...args) => seen.push(args as T));
  return seen;
}

/** Resolves once no `event` was seen for quietMs; proves the absence of an answer without guessing a sleep for its presence. */
export function quietFor(emitter: object, event: string, quietMs: number): Promise<number> {
  const target = emitter as Emitter;
  return new Promise((resolve) => {
    let count = 0;
    let timer = setTimeout(done, quietMs);
    const listener: Listener = () => {
      count++;
      clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    };
    function done(): void {
      target.off(event, listener);
      resolve(count);
    }
    target.on(event, listener);
  });
}

export interface ClientError {
  message: string;
  code: number;
  reqId: number;
}

/** True for the errors stoqey raises when a message's field layout does not match its decoder. */
export function isDecoderError(e: ClientError): boolean {
  return e.code === 505 || e.code === 506 || /Decoding error|Underrun/.test(e.message);
}

export interface TestClient {
  api: IBApi;
  /** Every `error` event; tests fail on decoder errors (layout bugs). */
  errors: ClientError[];
  /** Every `info` event (reqId -1 errMsgs). */
  infos: Array<{ message: string; code: number }>;
}

/** Connects a real IBApi and waits for nextValidId, i.e. a completed startApi. */
export async function connectClient(port: number, clientId: number, timeoutMs = 5000): Promise<TestClient> {
  const client = openClient(port);
  const ready = nextEvent(client.api, EventName.nextValidId, () => true, timeoutMs);
  client.api.connect(clientId);
  await ready;
  return client;
}

/** A client with listeners installed but not connected yet. */
export function openClient(port: number): TestClient {
  const api = new IBApi({ host: '127.0.0.1', port });
  const errors: ClientError[] = [];
  const infos: Array<{ message: string; code: number }> = [];
  api.on(EventName.error, (error: Error, code: number, reqId: number) => {
    errors.push({ message: error.message, code, reqId });
  });
  api.on(EventName.info, (message: string, code: number) => infos.push({ message, code }));
  return { api, errors, infos };
}

export interface Harness {
  startSim: (scenario: Scenario, opts?: Omit<SimulatorOptions, 'scenario'>) => Promise<GatewaySimulator>;
  /** Connects a real client and waits for nextValidId. */
  connect: (sim: GatewaySimulator, clientId?: number) => Promise<TestClient>;
  /** A client with listeners, not connected yet, so the test can install its waits first. */
  open: (sim: GatewaySimulator) => TestClient;
}

/**
 * Registers an afterEach that disconnects every client, stops every simulator and fails the
 * test if any client saw a decoder error. Call it at the top of a test file or describe block.
 */
export function useHarness(): Harness {
  const sims: GatewaySimulator[] = [];
  const clients: TestClient[] = [];
  afterEach(async () => {
    const decoderErrors = clients.flatMap((c) => c.errors.filter(isDecoderError));
    for (const c of clients.splice(0)) c.api.disconnect();
    for (const s of sims.splice(0)) await s.stop();
    expect(decoderErrors).toEqual([]);
  });
  return {
    startSim: async (scenario, opts = {}) => {
      const sim = await GatewaySimulator.start({ ...opts, scenario });
      sims.push(sim);
      return sim;
    },
    connect: async (sim, clientId = 1) => {
      const client = await connectClient(sim.port, clientId);
      clients.push(client);
      return client;
    },
    open: (sim) => {
      const client = openClient(sim.port);
      clients.push(client);
      return client;
    },
  };
}
