import { describe, expect, it } from 'vitest';
import { nextSyncState } from './sync-state.js';
import type { SyncEvent, SyncState } from './sync-state.js';

const run = (events: SyncEvent[], from: SyncState = 'disconnected') =>
  events.reduce<SyncState>((state, event) => nextSyncState(state, event), from);

describe('nextSyncState', () => {
  it('walks a fresh connection to live', () => {
    expect(run(['connecting'])).toBe('connecting');
    expect(run(['connecting', 'handshaken'])).toBe('synchronising');
    expect(run(['connecting', 'handshaken', 'caught_up'])).toBe('live');
  });

  it('degrades on a lost server link and catches up again after the restore', () => {
    const live = run(['connecting', 'handshaken', 'caught_up']);
    expect(nextSyncState(live, 'server_lost')).toBe('degraded');
    expect(run(['server_lost', 'server_restored'], live)).toBe('synchronising');
    expect(run(['server_lost', 'server_restored', 'caught_up'], live)).toBe('live');
  });

  it('stays degraded when late answers arrive while the server link is lost', () => {
    expect(run(['server_lost', 'caught_up'], 'synchronising')).toBe('degraded');
  });

  it('ignores a server notice while no socket is up', () => {
    expect(nextSyncState('disconnected', 'server_lost')).toBe('disconnected');
    expect(nextSyncState('connecting', 'server_lost')).toBe('connecting');
    expect(nextSyncState('disconnected', 'server_restored')).toBe('disconnected');
  });

  it('goes to disconnected from any state when the socket closes', () => {
    for (const state of ['connecting', 'synchronising', 'live', 'degraded'] as const) {
      expect(nextSyncState(state, 'closed')).toBe('disconnected');
    }
  });

  it('does not call a connection live before its handshake', () => {
    expect(run(['connecting', 'caught_up'])).toBe('connecting');
  });
});
