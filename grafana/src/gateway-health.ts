// IBKR / Gateway health: is the exporter connected, is the gateway connected to IB, is data
// flowing, what went wrong, and which IBKR alerts fire. Links to the gateway's VNC console for
// the 2FA login.
import {
  BigValueColorMode,
  BigValueGraphMode,
  GraphDrawStyle,
  LegendDisplayMode,
  LegendPlacement,
  LineStyleBuilder,
  ReduceDataOptionsBuilder,
  VisibilityMode,
  VizLegendOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder,
  DashboardLinkBuilder,
  MappingType,
  RowBuilder,
  TextBoxVariableBuilder,
} from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as Stat } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as StateTimeline } from '@grafana/grafana-foundation-sdk/statetimeline';
import { PanelBuilder as Table } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeries } from '@grafana/grafana-foundation-sdk/timeseries';
import {
  DATASOURCE,
  TAG,
  UID,
  booleanMappings,
  dashboardsLink,
  datasourceVariable,
  finish,
  labelVariable,
  query,
  tableQuery,
} from './common.js';

const INSTANCE = 'instance=~"$instance"';

/** The sync state machine's states (ibkr_sync_state{state}) and their colours. */
const SYNC_STATES: Record<string, string> = {
  live: 'green',
  synchronising: 'blue',
  connecting: 'yellow',
  degraded: 'orange',
  disconnected: 'red',
};

function vncLink(): DashboardLinkBuilder {
  return new DashboardLinkBuilder('Gateway VNC console (2FA login)').url('${vnc_url}').targetBlank(true);
}

function stateStat(
  title: string,
  description: string,
  expr: string,
  legend: string,
  mappings: ReturnType<typeof booleanMappings>,
): Stat {
  return new Stat()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .withTarget(query(expr, legend))
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']))
    .graphMode(BigValueGraphMode.None)
    .colorMode(BigValueColorMode.Background)
    .mappings(mappings)
    .height(5)
    .span(4);
}

function activity(title: string, description: string): TimeSeries {
  return new TimeSeries()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .legend(
      new VizLegendOptionsBuilder().displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom),
    )
    .height(8)
    .span(12);
}

export function gatewayHealth(): Dashboard {
  const builder = new DashboardBuilder('IBKR / Gateway health')
    .uid(UID.gatewayHealth)
    .description(
      'Connection of ibkr-pnl-exporter to IB Gateway and of the gateway to IB: state, data flow, errors, alerts.',
    )
    .tags([TAG])
    .time({ from: 'now-6h', to: 'now' })
    .refresh('30s')
    .readonly()
    .withVariable(datasourceVariable())
    // ibkr_gateway_up is always exported, so an exporter that never reached the gateway is listed.
    .withVariable(labelVariable('instance', 'Exporter', 'ibkr_gateway_up', { multi: true }))
    .withVariable(
      labelVariable('account', 'Account', 'ibkr_account_net_liquidation{instance=~"$instance"}', {
        multi: true,
      }),
    )
    .withVariable(
      new TextBoxVariableBuilder('vnc_url')
        .label('Gateway VNC URL')
        .description("The gateway's VNC console (IBKR_GATEWAY_VNC_URL), for the weekly 2FA login.")
        .defaultValue('vnc://127.0.0.1:5900'),
    )
    .link(dashboardsLink())
    .link(vncLink())

    .withRow(new RowBuilder('Connection'))
    .withPanel(
      stateStat(
        'Gateway session',
        'Whether the API handshake with IB Gateway has completed (ibkr_gateway_up). Down for long: log in through the VNC console.',
        `ibkr_gateway_up{${INSTANCE}}`,
        '{{instance}}',
        booleanMappings('UP', 'DOWN'),
      ).links([vncLink()]),
    )
    .withPanel(
      stateStat(
        "IB's servers",
        "Whether the gateway is connected to IB's servers: lost after IB error 1100/2110 until 1101/1102.",
        `ibkr_gateway_server_connected{${INSTANCE}}`,
        '{{instance}}',
        booleanMappings('CONNECTED', 'LOST'),
      ),
    )
    .withPanel(
      stateStat(
        'Data farms',
        "Each data farm from IB's 2103-2106/2157/2158 notices on the current connection.",
        `ibkr_gateway_farm_connected{${INSTANCE}}`,
        '{{farm}}',
        booleanMappings('OK', 'BROKEN'),
      ),
    )
    .withPanel(
      stateStat(
        'Competing session',
        'IB error 10197: the username is logged in elsewhere and market data and PnL are frozen.',
        `ibkr_gateway_competing_session{${INSTANCE}}`,
        '{{instance}}',
        booleanMappings('COMPETING', 'NO', false),
      ),
    )
    .withPanel(
      new Stat()
        .title('Heartbeat round trip')
        .description('Round trip of the last reqCurrentTime keepalive.')
        .datasource(DATASOURCE)
        .withTarget(query(`ibkr_gateway_heartbeat_rtt_seconds{${INSTANCE}}`, '{{instance}}'))
        .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']))
        .unit('s')
        .height(5)
        .span(4),
    )
    .withPanel(
      new Stat()
        .title('Last heartbeat')
        .description(
          'Age of the last keepalive answer; IbkrHeartbeatStale fires above ibkr:threshold:heartbeat_stale_seconds.',
        )
        .datasource(DATASOURCE)
        .withTarget(
          query(`time() - ibkr_gateway_last_heartbeat_timestamp_seconds{${INSTANCE}}`, '{{instance}}'),
        )
        .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']))
        .unit('s')
        .height(5)
        .span(4),
    )
    .withPanel(
      new StateTimeline()
        .title('Connection timeline')
        .description('Gateway session, link to IB and data farms over time.')
        .datasource(DATASOURCE)
        .withTarget(query(`ibkr_gateway_up{${INSTANCE}}`, 'gateway session {{instance}}'))
        .withTarget(query(`ibkr_gateway_server_connected{${INSTANCE}}`, "IB's servers {{instance}}"))
        .withTarget(query(`ibkr_gateway_farm_connected{${INSTANCE}}`, 'farm {{farm}} {{instance}}'))
        .mappings(booleanMappings('up', 'down'))
        .showValue(VisibilityMode.Never)
        .height(8)
        .span(12),
    )
    .withPanel(
      new StateTimeline()
        .title('Sync state')
        .description(
          "The exporter's session state: disconnected, connecting, synchronising (initial download), live, degraded (socket up, IB server link lost).",
        )
        .datasource(DATASOURCE)
        .withTarget(query(`max by (state) (ibkr_sync_state{${INSTANCE}})`, '{{state}}'))
        .showValue(VisibilityMode.Never)
        .mappings([
          {
            type: MappingType.ValueToText,
            options: { '0': { text: 'not now', color: 'transparent', index: 0 } },
          },
        ])
        .overrides(
          Object.entries(SYNC_STATES).map(([state, color]) => ({
            matcher: { id: 'byName', options: state },
            properties: [
              {
                id: 'mappings',
                value: [
                  {
                    type: MappingType.ValueToText,
                    options: {
                      '0': { text: 'not now', color: 'transparent', index: 0 },
                      '1': { text: state, color, index: 1 },
                    },
                  },
                ],
              },
            ],
          })),
        )
        .height(8)
        .span(12),
    )

    .withRow(new RowBuilder('Data flow and errors'))
    .withPanel(
      activity(
        'Stream staleness',
        'Seconds since the last message on each stream, and the thresholds IbkrSyncStale uses (dashed). Positions, executions and the account summary only move on changes.',
      )
        .unit('s')
        .withTarget(query(`stream:ibkr_sync_age_seconds{${INSTANCE}}`, '{{stream}}'))
        .withTarget(query('ibkr:threshold:sync_stale_seconds', 'threshold {{stream}}'))
        .overrideByRegexp('threshold .*', [
          { id: 'custom.lineStyle', value: new LineStyleBuilder().fill('dash').dash([10, 10]).build() },
          { id: 'color', value: { mode: 'fixed', fixedColor: 'red' } },
        ]),
    )
    .withPanel(
      activity(
        'Reconnects',
        'Connection events per interval; handshake and heartbeat timeouts are connections the exporter closed itself.',
      )
        .drawStyle(GraphDrawStyle.Bars)
        .withTarget(
          query(
            `increase(ibkr_gateway_reconnect_attempts_total{${INSTANCE}}[$__rate_interval])`,
            'reconnect attempts',
          ),
        )
        .withTarget(
          query(`increase(ibkr_gateway_connects_total{${INSTANCE}}[$__rate_interval])`, 'handshakes'),
        )
        .withTarget(
          query(`increase(ibkr_gateway_disconnects_total{${INSTANCE}}[$__rate_interval])`, 'disconnects'),
        )
        .withTarget(
          query(
            `increase(ibkr_gateway_handshake_timeouts_total{${INSTANCE}}[$__rate_interval])`,
            'handshake timeouts',
          ),
        )
        .withTarget(
          query(
            `increase(ibkr_gateway_heartbeat_timeouts_total{${INSTANCE}}[$__rate_interval])`,
            'heartbeat timeouts',
          ),
        ),
    )
    .withPanel(
      activity(
        'Errors by IB code',
        "IB's error and notice messages per interval by code, farm notices (2104, 2106, 2158) included; 502 is a failed connect.",
      )
        .drawStyle(GraphDrawStyle.Bars)
        .withTarget(
          query(
            `sum by (code) (increase(ibkr_gateway_errors_total{${INSTANCE}}[$__rate_interval]))`,
            '{{code}}',
          ),
        ),
    )
    .withPanel(
      activity(
        'Exporter problems',
        'Dropped gateway messages, failed ledger writes and gateway restarts per interval.',
      )
        .drawStyle(GraphDrawStyle.Bars)
        .withTarget(
          query(
            `increase(ibkr_gateway_protocol_errors_total{${INSTANCE}}[$__rate_interval])`,
            'protocol errors',
          ),
        )
        .withTarget(
          query(`increase(ibkr_store_errors_total{${INSTANCE}}[$__rate_interval])`, 'ledger write errors'),
        )
        .withTarget(
          query(
            `sum by (mode, result) (increase(ibkr_gateway_restarts_total{${INSTANCE}}[$__rate_interval]))`,
            'restart {{mode}} {{result}}',
          ),
        )
        .withTarget(query(`ibkr_gateway_restart_in_progress{${INSTANCE}}`, 'restart in progress')),
    )
    .withPanel(
      activity('Executions synced', 'Fills stored in the ledger per interval, by account.')
        .drawStyle(GraphDrawStyle.Bars)
        .withTarget(
          query(
            `sum by (account) (increase(ibkr_executions_total{${INSTANCE}, account=~"$account"}[$__rate_interval]))`,
            '{{account}}',
          ),
        ),
    )
    .withPanel(
      stateStat(
        'Collectors',
        'Whether each metrics collector succeeded in the last scrape; a failing collector never fails the scrape.',
        `ibkr_exporter_collector_success{${INSTANCE}}`,
        '{{collector}}',
        booleanMappings('OK', 'FAILING'),
      )
        .height(8)
        .span(12),
    )

    .withRow(new RowBuilder('Alerts'))
    .withPanel(
      new Table()
        .title('Firing IBKR alerts')
        .description("Alerts of prometheus/rules/ibkr-alerts.yml firing now, from Prometheus' ALERTS series.")
        .datasource(DATASOURCE)
        .withTarget(tableQuery('ALERTS{alertname=~"Ibkr.+", alertstate="firing"}', 'A'))
        .withTransformation({
          id: 'organize',
          options: { excludeByName: { Time: true, Value: true, __name__: true, alertstate: true } },
        })
        .noValue('No IBKR alert is firing.')
        .height(8)
        .span(24),
    );
  return finish(builder);
}
