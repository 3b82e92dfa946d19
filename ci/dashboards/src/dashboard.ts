// The Grafana dashboard, built with the Grafana Foundation SDK from PANELS (never hand-edited).
import {
  DashboardBuilder,
  DatasourceVariableBuilder,
  RowBuilder,
} from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { PANELS } from './panels.js';

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

export function buildDashboard(): Dashboard {
  const builder = new DashboardBuilder('llama-orch: fleet overview')
    .uid('llama-orch-fleet')
    .tags(['llama-orch'])
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .withVariable(
      new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus'),
    )
    .withRow(new RowBuilder('Queues, latency and throughput'));
  for (const panel of PANELS) {
    const p = new PanelBuilder()
      .title(panel.title)
      .description(panel.description)
      .unit(panel.unit)
      .datasource(DATASOURCE)
      .height(8)
      .span(12);
    panel.queries.forEach((q, i) => {
      p.withTarget(
        new DataqueryBuilder()
          .expr(q.expr)
          .legendFormat(q.legend)
          .refId(String.fromCharCode(65 + i)),
      );
    });
    builder.withPanel(p);
  }
  return builder.build();
}
