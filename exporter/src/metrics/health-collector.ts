import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Health } from '../domain/health.js';
import { SYNC_STATES } from '../domain/sync-state.js';
import { STREAMS } from '../domain/types.js';
import type { Collector } from './collector.js';
import { gauge } from './collector.js';

const seconds = (ms: number) => ms / 1000;

/** What ibkr_exporter_build_info says about this build (node_exporter's version, revision, goversion). */
export interface BuildInfo {
  version: string;
  revision: string;
  nodeversion: string;
}

export function healthCollector(registry: Registry, health: Health, buildInfo: BuildInfo): Collector {
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  const up = gauge(
    registry,
    'ibkr_gateway_up',
    'Whether the API handshake with the gateway has completed (1) or not (0).',
    [],
  );
  const server = gauge(
    registry,
    'ibkr_gateway_server_connected',
    "Whether the gateway is connected to IB's servers: 0 after IB error 1100/2110 until 1101/1102, and while the gateway is down.",
    [],
  );
  const lastMessage = gauge(
    registry,
    'ibkr_gateway_last_message_timestamp_seconds',
    'Unix time of the last message received from the gateway.',
    [],
  );
  const connects = counter('ibkr_gateway_connects_total', 'Completed API handshakes with the gateway.');
  const disconnects = counter(
    'ibkr_gateway_disconnects_total',
    'Connections to the gateway that were lost after the handshake.',
  );
  const errors = counter(
    'ibkr_gateway_errors_total',
    'Error and notice messages from the gateway and the client library, by IB code (farm notices such as 2104 included).',
    ['code'],
  );
  const protocolErrors = counter(
    'ibkr_gateway_protocol_errors_total',
    'Gateway messages that could not be decoded or normalised and were dropped.',
  );
  const lastUpdate = gauge(
    registry,
    'ibkr_sync_last_update_timestamp_seconds',
    'Unix time of the last message on each data stream (positions, executions, pnl, pnl_single, account_summary).',
    ['stream'],
  );
  const state = gauge(
    registry,
    'ibkr_sync_state',
    'Session state: 1 for the current one of disconnected, connecting, synchronising, live and degraded (socket up, IB server link lost), 0 for the others.',
    ['state'],
  );
  const reconnects = counter(
    'ibkr_gateway_reconnect_attempts_total',
    'Connection attempts made after a failed attempt or a lost connection.',
  );
  const handshakeTimeouts = counter(
    'ibkr_gateway_handshake_timeouts_total',
    'Connections closed because the gateway accepted TCP but did not finish the API handshake in time (hung, or login pending).',
  );
  const heartbeatTimeouts = counter(
    'ibkr_gateway_heartbeat_timeouts_total',
    'Connections closed because two reqCurrentTime keepalive probes went unanswered.',
  );
  const rtt = gauge(
    registry,
    'ibkr_gateway_heartbeat_rtt_seconds',
    'Round trip of the last answered reqCurrentTime keepalive probe.',
    [],
  );
  const lastHeartbeat = gauge(
    registry,
    'ibkr_gateway_last_heartbeat_timestamp_seconds',
    'Unix time of the last answered keepalive probe.',
    [],
  );
  const farms = gauge(
    registry,
    'ibkr_gateway_farm_connected',
    "Whether the gateway's data farm is connected (1) or broken (0), from IB notices 2103-2106, 2157 and 2158 on the current connection.",
    ['farm'],
  );
  const competing = gauge(
    registry,
    'ibkr_gateway_competing_session',
    'Whether IB reported a competing session (error 10197: the same user logged in elsewhere) and PnL data has not flowed since.',
    [],
  );
  const storeErrors = counter(
    'ibkr_store_errors_total',
    'Ledger database writes that failed (SQLite or PostgreSQL); the event was dropped and the connection re-synced from the gateway.',
  );
  const storeWritable = gauge(
    registry,
    'ibkr_store_writable',
    'Whether the ledger database accepts writes: 0 from a failed write until a probe write succeeds on the next gateway connection (/readyz answers 503 meanwhile).',
    [],
  );
  const build = gauge(
    registry,
    'ibkr_exporter_build_info',
    'Build information of the exporter: version, source revision and Node version; the value is always 1.',
    ['version', 'revision', 'nodeversion'],
  );
  const gatewayInfo = gauge(
    registry,
    'ibkr_gateway_info',
    "The gateway's API server version and the time zone of its connection time, from the last handshake; the value is always 1.",
    ['server_version', 'time_zone'],
  );
  const all = [
    up,
    server,
    lastMessage,
    connects,
    disconnects,
    errors,
    protocolErrors,
    lastUpdate,
    state,
    reconnects,
    handshakeTimeouts,
    heartbeatTimeouts,
    rtt,
    lastHeartbeat,
    farms,
    competing,
    storeErrors,
    storeWritable,
    build,
    gatewayInfo,
  ];

  return {
    name: 'health',
    update() {
      for (const metric of all) metric.reset();
      up.set(health.gatewayUp ? 1 : 0);
      server.set(health.gatewayUp && health.serverConnected ? 1 : 0);
      if (health.lastMessageAt !== undefined) lastMessage.set(seconds(health.lastMessageAt));
      connects.inc(health.connects);
      disconnects.inc(health.disconnects);
      for (const [code, count] of health.errors) errors.inc({ code: String(code) }, count);
      protocolErrors.inc(health.protocolErrors);
      for (const stream of STREAMS) {
        const at = health.streams.get(stream);
        if (at !== undefined) lastUpdate.set({ stream }, seconds(at));
      }
      for (const name of SYNC_STATES) state.set({ state: name }, health.state === name ? 1 : 0);
      reconnects.inc(health.reconnectAttempts);
      handshakeTimeouts.inc(health.handshakeTimeouts);
      heartbeatTimeouts.inc(health.heartbeatTimeouts);
      if (health.heartbeatRttMs !== undefined) rtt.set(seconds(health.heartbeatRttMs));
      if (health.lastHeartbeatAt !== undefined) lastHeartbeat.set(seconds(health.lastHeartbeatAt));
      for (const [farm, connected] of health.farms) farms.set({ farm }, connected ? 1 : 0);
      competing.set(health.competingSession ? 1 : 0);
      storeErrors.inc(health.storeErrors);
      storeWritable.set(health.storeUp ? 1 : 0);
      build.set({ ...buildInfo }, 1);
      const gateway = health.gateway;
      if (gateway) {
        gatewayInfo.set(
          { server_version: String(gateway.serverVersion), time_zone: gateway.timeZone ?? '' },
          1,
        );
      }
    },
  };
}
