import { describe, expect, it } from 'vitest';
import { exporterMetricNames, selectors, seriesNames } from './promql.js';

describe('selectors', () => {
  it('finds metric selectors with their matchers and recording rule names', () => {
    expect(
      selectors(
        'ibkr_account_excess_liquidity{account=~"$account"} < on() group_left() ibkr:threshold:excess_liquidity_min',
      ),
    ).toEqual(['ibkr_account_excess_liquidity{account=~"$account"}', 'ibkr:threshold:excess_liquidity_min']);
  });

  it('reads a recording rule name as one name, not the metric inside it', () => {
    expect(seriesNames('account:ibkr_position_market_value:sum{account="A"}')).toEqual([
      'account:ibkr_position_market_value:sum',
    ]);
  });

  it('skips functions, label names, quoted strings, durations and comments', () => {
    const expr = `
      (time() - ibkr_sync_last_update_timestamp_seconds > on(stream) group_left() ibkr:threshold:sync_stale_seconds)
      and on(job, instance) ibkr_gateway_up == 1
      # ibkr_not_a_metric in a comment
      unless on(job, instance, stream)
        label_replace(ibkr_gateway_up unless on(job, instance) (ibkr_position_quantity != 0), "stream", "pnl_single", "", "")`;
    expect(seriesNames(expr)).toEqual([
      'ibkr_sync_last_update_timestamp_seconds',
      'ibkr:threshold:sync_stale_seconds',
      'ibkr_gateway_up',
      'ibkr_position_quantity',
    ]);
  });

  it('knows up and ALERTS but not words that contain them', () => {
    expect(selectors('up{job="ibkr-exporter"} == 0 or absent(up{job="ibkr-exporter"})')).toEqual([
      'up{job="ibkr-exporter"}',
    ]);
    expect(selectors('ALERTS{alertname=~"Ibkr.+", alertstate="firing"}')).toEqual([
      'ALERTS{alertname=~"Ibkr.+", alertstate="firing"}',
    ]);
    expect(seriesNames('sum by (group) (increase(ibkr_gateway_errors_total[$__rate_interval]))')).toEqual([
      'ibkr_gateway_errors_total',
    ]);
  });

  it('lists only ibkr_* names as exporter metrics', () => {
    expect(
      exporterMetricNames('ibkr_account_unrealized_pnl + ibkr_account_ledger_realized_pnl or up or a:b:c'),
    ).toEqual(['ibkr_account_unrealized_pnl', 'ibkr_account_ledger_realized_pnl']);
  });
});
