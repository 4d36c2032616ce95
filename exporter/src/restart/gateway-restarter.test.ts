import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { RestartAccepted, RestartAction } from './actions.js';
import { GatewayRestartService } from './gateway-restarter.js';
import { RestartError } from './restarter.js';

/** An action whose outcome the test decides, one start at a time. */
function controlledAction() {
  const starts: Array<{ resolve(a: RestartAccepted): void; reject(e: unknown): void }> = [];
  const action: RestartAction = {
    start: () => new Promise((resolve, reject) => starts.push({ resolve, reject })),
  };
  return { action, starts };
}

function service(cooldownMs = 60_000) {
  let clock = Date.UTC(2026, 10, 25, 15);
  const cold = controlledAction();
  const soft = controlledAction();
  const restarter = new GatewayRestartService({
    actions: { cold: cold.action, soft: soft.action },
    cooldownMs,
    now: () => clock,
    logger: pino({ level: 'silent' }),
  });
  return { restarter, cold, soft, advance: (ms: number) => (clock += ms) };
}

describe('GatewayRestartService', () => {
  it('refuses a second restart while the first has not been accepted yet', async () => {
    const { restarter, cold } = service();
    const first = restarter.restart('cold');
    await expect(restarter.restart('soft')).rejects.toMatchObject({ reason: 'busy' });
    cold.starts[0]!.resolve({ message: 'done' });
    await expect(first).resolves.toMatchObject({ state: 'succeeded', message: 'done' });
  });

  it('starts the cooldown with an accepted restart and says when the next one is allowed', async () => {
    const { restarter, soft, advance } = service(60_000);
    const first = restarter.restart('soft');
    soft.starts[0]!.resolve({ message: 'IBC accepted RESTART' });
    await first;
    advance(59_000);
    const error = await restarter.restart('cold').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RestartError);
    expect(error).toMatchObject({
      reason: 'busy',
      retryAfterMs: 1000,
      message:
        'the last restart began at 2026-11-25T15:00:00.000Z; the next is allowed from 2026-11-25T15:01:00.000Z (IBKR_GATEWAY_RESTART_COOLDOWN_SECONDS)',
    });
    advance(1000);
    const second = restarter.restart('soft');
    soft.starts[1]!.resolve({ message: 'again' });
    await expect(second).resolves.toMatchObject({ state: 'succeeded' });
    expect(restarter.outcomes().soft).toEqual({ success: 2, failure: 0 });
  });

  it('does not start the cooldown when the restart failed before anything happened', async () => {
    const { restarter, cold } = service();
    const first = restarter.restart('cold');
    cold.starts[0]!.reject(new RestartError('unauthorized', 'forbidden'));
    await expect(first).rejects.toMatchObject({ reason: 'unauthorized' });
    expect(restarter.status()).toMatchObject({ state: 'failed', mode: 'cold', message: 'forbidden' });
    const retry = restarter.restart('cold');
    cold.starts[1]!.resolve({ message: 'ok' });
    await expect(retry).resolves.toMatchObject({ state: 'succeeded' });
    expect(restarter.outcomes().cold).toEqual({ success: 1, failure: 1 });
  });

  it('stays in progress until a followed restart completes, then records its outcome', async () => {
    const { restarter, cold } = service();
    let finish!: (message: string) => void;
    const completion = new Promise<string>((resolve) => (finish = resolve));
    const started = restarter.restart('cold');
    cold.starts[0]!.resolve({ message: 'rollout started', completion });
    await expect(started).resolves.toMatchObject({ state: 'in_progress', message: 'rollout started' });
    await expect(restarter.restart('cold')).rejects.toMatchObject({ reason: 'busy' });
    expect(restarter.outcomes().cold).toEqual({ success: 0, failure: 0 });
    finish('rolled out');
    await completion;
    expect(restarter.status()).toMatchObject({ state: 'succeeded', message: 'rolled out' });
    expect(restarter.outcomes().cold).toEqual({ success: 1, failure: 0 });
  });

  it('leaves the previous state and counts nothing when the deployment is paused', async () => {
    const { restarter, cold } = service();
    const first = restarter.restart('cold');
    cold.starts[0]!.reject(new RestartError('paused', 'paused'));
    await expect(first).rejects.toMatchObject({ reason: 'paused' });
    expect(restarter.status()).toEqual({ state: 'idle' });
    expect(restarter.outcomes().cold).toEqual({ success: 0, failure: 0 });
  });
});
