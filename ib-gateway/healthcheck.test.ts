// The gateway healthcheck against the project's simulator (a real TWS handshake over TCP), a
// listener that accepts and never answers (a gateway still logging in, or hung), and a closed
// port.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseScenario } from '../exporter/src/sim/scenario.js';
import { GatewaySimulator } from '../exporter/src/sim/server.js';

const HEALTHCHECK = join(import.meta.dirname, 'healthcheck');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function healthcheck(port: number | number[], timeoutSeconds = 5): Promise<Result> {
  const started = Date.now();
  const ports = (Array.isArray(port) ? port : [port]).map(String);
  // stdin is not a pipe: node's pipes are sockets, and bash on a socket stdin reads ~/.bashrc.
  // The environment is as bare as in either image's container: bash on PATH, nothing else.
  const child = spawn('bash', [HEALTHCHECK, '127.0.0.1', ...ports], {
    env: { PATH: process.env.PATH ?? '', HEALTHCHECK_TIMEOUT: String(timeoutSeconds) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => {
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - started }));
  });
}

const serverTime = (result: Result) => /, time (.*)\n/.exec(result.stdout)?.[1] ?? '';

const scenario = (serverVersion: number) =>
  parseScenario({ serverVersion, accounts: [{ id: 'DU1', baseCurrency: 'USD' }], contracts: [] });

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
}

describe('ib-gateway healthcheck', () => {
  it('passes after a complete API handshake with the simulator', async () => {
    const sim = await GatewaySimulator.start({
      scenario: scenario(176),
    });
    cleanups.push(() => sim.stop());
    const result = await healthcheck(sim.port);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // The version comes from the simulator's answer, not from the script.
    expect(result.stdout).toBe(
      `healthy: 127.0.0.1:${sim.port}: server version 176, time ${serverTime(result)}\n`,
    );
    expect(serverTime(result)).toMatch(/^\d{8} \d\d:\d\d:\d\d UTC$/);
  });

  it('offers versions up to 187, so a newer gateway answers with 187', async () => {
    const sim = await GatewaySimulator.start({ scenario: scenario(193) });
    cleanups.push(() => sim.stop());
    const result = await healthcheck(sim.port);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('server version 187,');
  });

  it('fails within its timeout when the port accepts connections but never answers', async () => {
    const sockets: Socket[] = [];
    const server = createServer((socket) => sockets.push(socket));
    const port = await listen(server);
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    const result = await healthcheck(port, 1);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`unhealthy: 127.0.0.1:${port}: no handshake answer within 1 s\n`);
    expect(sockets).toHaveLength(1);
    expect(result.ms).toBeGreaterThanOrEqual(900);
    expect(result.ms).toBeLessThan(4000);
  });

  it('fails when nothing listens', async () => {
    const server = createServer();
    const port = await listen(server);
    await new Promise((resolve) => server.close(resolve));
    const result = await healthcheck(port);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`unhealthy: 127.0.0.1:${port}: cannot connect\n`);
  });

  it('fails when the peer closes the connection mid-handshake', async () => {
    // Answers with a length of 40 bytes but sends 5 and closes: a gateway dying under us.
    const server = createServer((socket) => {
      socket.once('data', () => socket.end(Buffer.from([0, 0, 0, 40, 0x31, 0x38, 0x37, 0, 0x32])));
    });
    const port = await listen(server);
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
    const result = await healthcheck(port);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`unhealthy: 127.0.0.1:${port}: connection closed during the handshake\n`);
  });

  // TRADING_MODE=both, in this image or the other: the live and the paper gateway must answer.
  it('checks every port it is given: healthy only when each gateway completes the handshake', async () => {
    const live = await GatewaySimulator.start({ scenario: scenario(176) });
    const paper = await GatewaySimulator.start({ scenario: scenario(178) });
    cleanups.push(
      () => live.stop(),
      () => paper.stop(),
    );
    const result = await healthcheck([live.port, paper.port]);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').map((l) => l.replace(/, time .*$/, ''))).toEqual([
      `healthy: 127.0.0.1:${live.port}: server version 176`,
      `healthy: 127.0.0.1:${paper.port}: server version 178`,
      '',
    ]);

    await paper.stop();
    const half = await healthcheck([live.port, paper.port]);
    expect(half.code).toBe(1);
    expect(half.stderr).toBe(`unhealthy: 127.0.0.1:${paper.port}: cannot connect\n`);
  });
});
