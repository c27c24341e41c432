import type { App, AppSnapshot } from '@partita/core';

/** One row of `health().details.transport.lanes` that carries the broker's lag. */
interface LagRow {
  readonly group: string;
  readonly topic: string;
  readonly partition?: number;
  readonly lag: number;
}

const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labels = (l: Readonly<Record<string, string | number>>): string => {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escape(String(v))}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
};

/** Builds one exposition: `# HELP`/`# TYPE` once per family, then its samples. */
class Exposition {
  private readonly lines: string[] = [];
  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }
  sample(name: string, value: number, l: Readonly<Record<string, string | number>> = {}): this {
    this.lines.push(`${name}${labels(l)} ${Number.isFinite(value) ? value : value > 0 ? '+Inf' : 'NaN'}`);
    return this;
  }
  text(): string {
    return this.lines.join('\n') + '\n';
  }
}

/** Broker lag rows as connectors report them in `health().details.lanes` (Kafka, NATS, memory). */
export function lagRows(details: unknown): LagRow[] {
  const lanes = (details as { transport?: { lanes?: unknown } } | undefined)?.transport?.lanes;
  if (!Array.isArray(lanes)) return [];
  return lanes.filter(
    (r): r is LagRow =>
      typeof r === 'object' &&
      r !== null &&
      typeof (r as LagRow).group === 'string' &&
      typeof (r as LagRow).topic === 'string' &&
      typeof (r as LagRow).lag === 'number',
  );
}

/**
 * The app's metrics in the Prometheus text format (version 0.0.4). Names and
 * labels are documented in packages/http/README.md. Labels are bounded: handler,
 * group, topic, partition, lane state and dead-letter reason, never a key or an id.
 */
export function renderPrometheus(snapshot: AppSnapshot, lag: readonly LagRow[]): string {
  const m = snapshot.metrics;
  const e = new Exposition();
  e.family('partita_messages_consumed_total', 'counter', 'Records handed to handlers.');
  e.sample('partita_messages_consumed_total', m.consumed);
  e.family('partita_messages_produced_total', 'counter', 'Records published and confirmed by the broker.');
  e.sample('partita_messages_produced_total', m.published);
  e.family('partita_messages_succeeded_total', 'counter', 'Handler attempts that succeeded.');
  e.sample('partita_messages_succeeded_total', m.succeeded);
  e.family('partita_messages_failed_total', 'counter', 'Handler attempts that failed (each retry counts).');
  e.sample('partita_messages_failed_total', m.failed);
  e.family('partita_messages_retried_total', 'counter', 'Retries scheduled.');
  e.sample('partita_messages_retried_total', m.retried);
  e.family('partita_dead_letters_total', 'counter', 'Records dead-lettered, by reason.');
  for (const reason of ['decode', 'non-retryable', 'max-retries', 'timeout'])
    e.sample('partita_dead_letters_total', m.deadLetteredByReason[reason] ?? 0, { reason });
  e.family('partita_in_flight', 'gauge', 'Handler attempts running now.');
  e.sample('partita_in_flight', m.inFlight);
  e.family('partita_process_duration_seconds', 'histogram', 'Handler attempt duration.');
  let cumulative = 0;
  m.durationMs.counts.forEach((count, i) => {
    cumulative += count;
    const bound = m.durationMs.bounds[i];
    e.sample('partita_process_duration_seconds_bucket', cumulative, {
      le: bound === undefined ? '+Inf' : String(bound / 1000),
    });
  });
  e.sample('partita_process_duration_seconds_sum', m.durationMs.sumMs / 1000);
  e.sample('partita_process_duration_seconds_count', cumulative);
  e.family('partita_consumer_lag', 'gauge', "Records in the broker past the group's committed position.");
  for (const r of lag)
    e.sample('partita_consumer_lag', r.lag, { group: r.group, topic: r.topic, partition: r.partition ?? '' });
  const lanes = snapshot.lanes.filter((l) => l.state !== 'stopped');
  e.family('partita_lane_in_flight', 'gauge', 'Attempts running on a lane.');
  for (const l of lanes) e.sample('partita_lane_in_flight', l.inFlight, laneLabels(l));
  e.family('partita_lane_buffered', 'gauge', 'Records a lane holds that are not yet dispatched.');
  for (const l of lanes) e.sample('partita_lane_buffered', l.buffered, laneLabels(l));
  e.family('partita_lane_state', 'gauge', 'Lane mode (1 for the current one).');
  for (const l of lanes) e.sample('partita_lane_state', 1, { ...laneLabels(l), state: l.state.split('.')[0]! });
  e.family('partita_app_running', 'gauge', '1 while the app is running (not stopping).');
  e.sample('partita_app_running', snapshot.state === 'running' ? 1 : 0);
  return e.text();
}

const laneLabels = (l: AppSnapshot['lanes'][number]): Record<string, string | number> => ({
  handler: l.handler,
  group: l.group,
  topic: l.topic,
  partition: l.partition,
});

/** Snapshot, broker lag (through `health()`) and the exposition text. */
export async function prometheusText(app: App): Promise<string> {
  const snapshot = app.inspect();
  const health = snapshot.state === 'running' ? await app.health() : undefined;
  return renderPrometheus(snapshot, lagRows(health?.details));
}
