import { describe, expect, it } from 'vitest';
import { classifyNotice, farmStatus } from './codes.js';

describe('classifyNotice', () => {
  it.each([
    [1100, 'server_lost'],
    [2110, 'server_lost'],
    [1101, 'restored_data_lost'],
    [1102, 'restored_data_kept'],
    [2103, 'farm'],
    [2104, 'farm'],
    [2105, 'farm'],
    [2106, 'farm'],
    [2157, 'farm'],
    [2158, 'farm'],
    [2107, 'informational'],
    [2108, 'informational'],
    [10197, 'competing_session'],
    [326, 'client_id_in_use'],
    [502, 'reconnect'],
    [504, 'reconnect'],
    [1300, 'reconnect'],
    [505, 'decoding_error'],
    [162, 'error'],
  ])('maps connection-level code %i to %s', (code, action) => {
    expect(classifyNotice(code, -1)).toBe(action);
  });

  it('never lets an error tied to a request change session health', () => {
    for (const code of [1100, 1101, 502, 326, 2103, 200])
      expect(classifyNotice(code, 17)).toBe('request_error');
  });

  it('treats a competing session as session-wide even when tied to a request', () => {
    expect(classifyNotice(10197, 42)).toBe('competing_session');
  });
});

describe('farmStatus', () => {
  it('reads the farm name and state from the notice text', () => {
    expect(farmStatus(2104, 'Market data farm connection is OK:usfarm')).toEqual({
      farm: 'usfarm',
      connected: true,
    });
    expect(farmStatus(2103, 'Market data farm connection is broken:usfarm.nj')).toEqual({
      farm: 'usfarm.nj',
      connected: false,
    });
    expect(farmStatus(2157, 'Sec-def data farm connection is broken:secdefil')).toEqual({
      farm: 'secdefil',
      connected: false,
    });
  });

  it('makes no label from a garbled or hostile name', () => {
    expect(farmStatus(2104, 'Market data farm connection is OK:')).toBeUndefined();
    expect(farmStatus(2104, 'Market data farm connection is OK:us farm {x="1"}')).toBeUndefined();
    expect(farmStatus(2104, `OK:${'a'.repeat(100)}`)).toBeUndefined();
  });

  it('ignores codes that are not farm notices', () => {
    expect(farmStatus(2108, 'Market data farm connection is inactive:usfarm')).toBeUndefined();
  });
});
