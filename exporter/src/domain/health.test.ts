import { describe, expect, it } from 'vitest';
import { Health } from './health.js';

describe('Health', () => {
  it('starts disconnected, with the stream times restored from the store', () => {
    const health = new Health(1000, [{ stream: 'positions', updatedAt: 900 }]);
    expect(health).toMatchObject({
      gatewayUp: false,
      serverConnected: false,
      state: 'disconnected',
      stateSince: 1000,
    });
    expect(health.streams.get('positions')).toBe(900);
  });

  it('counts connects and disconnects, and a disconnect only once', () => {
    const health = new Health(0);
    health.disconnected(5, 'connect ECONNREFUSED');
    expect(health.disconnects).toBe(0);
    expect(health.lastError).toBe('connect ECONNREFUSED');
    health.connected(10, ['DU1']);
    expect(health).toMatchObject({
      gatewayUp: true,
      serverConnected: true,
      connects: 1,
      lastConnectedAt: 10,
    });
    expect(health.accounts).toEqual(['DU1']);
    expect(health.lastError).toBeUndefined();
    health.disconnected(20, 'socket closed');
    health.disconnected(21, 'socket closed');
    expect(health).toMatchObject({ gatewayUp: false, disconnects: 1, lastDisconnectedAt: 20 });
  });

  it('forgets the farm states of a closed connection', () => {
    const health = new Health(0);
    health.connected(1, ['DU1']);
    health.farm('usfarm', true);
    health.disconnected(2);
    expect(health.farms.size).toBe(0);
  });

  it('keeps at most 32 farms, since their names come from gateway text', () => {
    const health = new Health(0);
    for (let i = 0; i < 40; i++) health.farm(`farm${i}`, true);
    expect(health.farms.size).toBe(32);
    // A known farm still changes state.
    health.farm('farm0', false);
    expect(health.farms.get('farm0')).toBe(false);
    expect(health.farms.has('farm39')).toBe(false);
  });

  it('follows the server link separately from the socket', () => {
    const health = new Health(0);
    health.connected(1, ['DU1']);
    health.serverLinkLost();
    expect({ up: health.gatewayUp, server: health.serverConnected }).toEqual({ up: true, server: false });
    health.serverLinkRestored();
    expect(health.serverConnected).toBe(true);
  });

  it('counts every IB code but keeps only session problems as the last error', () => {
    const health = new Health(0);
    health.error(2104, 'Market data farm connection is OK:usfarm', false);
    health.error(2104, 'Market data farm connection is OK:usfarm', false);
    expect(health.lastError).toBeUndefined();
    health.error(1100, 'Connectivity between IB and TWS has been lost.', true);
    expect(health.errors).toEqual(
      new Map([
        [2104, 2],
        [1100, 1],
      ]),
    );
    expect(health.lastError).toBe('1100: Connectivity between IB and TWS has been lost.');
    health.protocolError('undecodable message 99');
    expect({ count: health.protocolErrors, last: health.lastError }).toEqual({
      count: 1,
      last: 'undecodable message 99',
    });
  });

  it('moves the sync state and its start time only on a real change', () => {
    const health = new Health(0);
    expect(health.transition('connecting', 10)).toBe(true);
    expect(health.transition('handshaken', 20)).toBe(true);
    expect(health.transition('handshaken', 30)).toBe(false);
    expect({ state: health.state, since: health.stateSince }).toEqual({ state: 'synchronising', since: 20 });
    health.transition('caught_up', 40);
    expect(health.state).toBe('live');
  });

  it('records heartbeats, messages and stream updates as they come', () => {
    const health = new Health(0);
    health.heartbeat(50, 3.5);
    health.messageReceived(60);
    health.streamUpdated('pnl', 70);
    expect(health).toMatchObject({ lastHeartbeatAt: 50, heartbeatRttMs: 3.5, lastMessageAt: 60 });
    expect(health.streams.get('pnl')).toBe(70);
  });
});
