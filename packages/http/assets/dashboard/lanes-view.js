// The lanes view: totals, the worker pool, and one row per lane with its
// lane machine drawn (regions from /api/lane-machine, current state lit).
import { api } from './api.js';
import { $, fmt, h, svg } from './dom.js';

const WINDOW_MS = 5 * 60_000;
const RATE_MS = 60_000;
const BUCKET_MS = 10_000;

const laneKey = (l) => `${l.handler}\u0000${l.group}\u0000${l.topic}\u0000${l.partition}`;
const handledOf = (l) => l.succeeded + l.deadLettered;

/** Per-lane samples of handled counts, for the rate over the last minute and the 5-minute sparkline. */
class Rates {
  samples = new Map();

  add(key, now, handled) {
    let list = this.samples.get(key);
    if (!list) this.samples.set(key, (list = []));
    list.push({ t: now, n: handled });
    while (list.length > 2 && list[0].t < now - WINDOW_MS) list.shift();
  }

  /** Messages per second over the last minute (or since the first sample). */
  rate(key) {
    const list = this.samples.get(key) ?? [];
    if (list.length < 2) return undefined;
    const last = list[list.length - 1];
    const first = list.find((s) => s.t >= last.t - RATE_MS) ?? list[0];
    const dt = (last.t - first.t) / 1000;
    return dt > 0 ? Math.max(0, last.n - first.n) / dt : undefined;
  }

  /** Rate per 10-second bucket over the last 5 minutes. */
  series(key, now) {
    const list = this.samples.get(key) ?? [];
    const buckets = WINDOW_MS / BUCKET_MS;
    const out = new Array(buckets).fill(0);
    for (let i = 1; i < list.length; i++) {
      const b = Math.floor((now - list[i].t) / BUCKET_MS);
      if (b >= 0 && b < buckets) out[buckets - 1 - b] += Math.max(0, list[i].n - list[i - 1].n) / (BUCKET_MS / 1000);
    }
    return out;
  }

  forget(keys) {
    for (const k of this.samples.keys()) if (!keys.has(k)) this.samples.delete(k);
  }
}

function sparkline(values) {
  const w = 120;
  const hgt = 24;
  const max = Math.max(...values, 1e-9);
  const step = w / (values.length - 1);
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(hgt - 2 - (v / max) * (hgt - 4)).toFixed(1)}`);
  const el = svg('svg', { width: w, height: hgt, viewBox: `0 0 ${w} ${hgt}`, class: 'spark' });
  el.append(svg('polyline', { points: points.join(' '), fill: 'none' }));
  return el;
}

export class LanesView {
  rows = new Map();
  rates = new Rates();
  regions = [];
  brokerLag = new Map();

  constructor({ onError, onInfo }) {
    this.onError = onError;
    this.onInfo = onInfo;
  }

  async loadMachine() {
    this.regions = (await api.laneMachine()).regions;
  }

  setLag(rows) {
    this.brokerLag = new Map(rows.map((r) => [`${r.group}\u0000${r.topic}\u0000${r.partition}`, r.lag]));
  }

  render(app) {
    const now = Date.now();
    this.renderTotals(app);
    this.renderPool(app.executor);
    const lanes = [...app.lanes].sort(
      (a, b) => a.handler.localeCompare(b.handler) || a.topic.localeCompare(b.topic) || a.partition - b.partition,
    );
    const seen = new Set();
    const body = $('lanes');
    for (const lane of lanes) {
      const key = laneKey(lane);
      seen.add(key);
      this.rates.add(key, now, handledOf(lane));
      let row = this.rows.get(key);
      if (!row) {
        row = this.createRow(lane);
        this.rows.set(key, row);
      }
      body.append(row.tr); // keeps the sorted order; moves, not recreates
      this.updateRow(row, lane, key, now);
    }
    for (const [key, row] of this.rows)
      if (!seen.has(key)) {
        row.tr.remove();
        this.rows.delete(key);
      }
    this.rates.forget(seen);
    $('no-lanes').hidden = lanes.length > 0;
  }

  renderTotals(app) {
    const m = app.metrics;
    const inFlight = app.lanes.reduce((n, l) => n + l.inFlight, 0);
    const card = (label, value, id) =>
      h('div', { class: 'card', 'data-testid': id }, h('span', {}, label), h('b', {}, value));
    $('totals').replaceChildren(
      card('consumed', fmt(m.consumed), 'total-consumed'),
      card('succeeded', fmt(m.succeeded), 'total-succeeded'),
      card('failed attempts', fmt(m.failed), 'total-failed'),
      card('retried', fmt(m.retried), 'total-retried'),
      card('dead-lettered', fmt(m.deadLettered), 'total-dead-lettered'),
      card('published', fmt(m.published), 'total-published'),
      card('in flight', fmt(inFlight), 'total-in-flight'),
      card('lanes', fmt(app.lanes.length), 'total-lanes'),
    );
  }

  renderPool(pool) {
    $('pool').hidden = !pool;
    if (!pool) return;
    const util = typeof pool.utilization === 'number' ? pool.utilization : 0;
    const bar = h('div', { class: 'bar', title: `${fmt(util * 100, 1)} % of thread time in handlers since start` });
    const fill = h('div', { class: 'fill' });
    fill.style.width = `${Math.min(100, util * 100).toFixed(1)}%`; // CSSOM: allowed by the CSP, a style attribute is not
    bar.append(fill);
    const threads = (pool.threads ?? []).filter((t) => t.alive);
    $('pool-body').replaceChildren(
      h(
        'div',
        { class: 'pool-line' },
        h('span', {}, `state ${pool.state ?? '?'}`),
        h('span', {}, `threads ${fmt(pool.threadCount)}`),
        h('span', {}, 'utilization ', bar, ` ${fmt(util * 100, 1)} %`),
        h('span', {}, `queue ${fmt(pool.queueDepth)}`),
        h('span', {}, `tasks in flight ${fmt(pool.inFlightTasks)} / ${fmt(pool.capacity)}`),
        pool.saturated ? h('span', { class: 'warn' }, 'saturated') : null,
        h('span', {}, `restarts ${fmt(pool.threadRestarts)}`),
      ),
      h(
        'div',
        { class: 'threads' },
        threads.map((t) =>
          h('span', { class: 'thread' }, `#${t.threadId}: ${fmt(t.tasks)} tasks, ${fmt(t.messages)} msgs`),
        ),
      ),
    );
  }

  createRow(lane) {
    const c = () => h('td');
    const n = () => h('td', { class: 'num' });
    const cells = {
      handler: c(),
      topic: c(),
      partition: n(),
      state: h('td', { 'data-testid': 'lane-state' }),
      machine: h('td'),
      inFlight: n(),
      buffered: n(),
      committed: n(),
      lag: n(),
      rate: n(),
      spark: c(),
      action: c(),
    };
    const selector = { handler: lane.handler, topic: lane.topic, partition: lane.partition };
    const button = h('button', { type: 'button', class: 'small', 'data-testid': 'lane-toggle' });
    button.addEventListener('click', () => this.toggle(button, selector));
    cells.action.append(button);
    cells.handler.textContent = lane.handler;
    cells.handler.title = `group ${lane.group}`;
    cells.topic.textContent = lane.topic;
    cells.partition.textContent = String(lane.partition);
    const pills = new Map();
    const machine = h('div', { class: 'machine' });
    cells.machine.append(machine);
    for (const region of this.regions) {
      const group = h('div', { class: 'region', title: region.name }, h('span', { class: 'region-name' }, region.name));
      for (const st of region.states) {
        const title = st.on.length ? st.on.map((t) => `${t.event} → ${t.to}`).join('\n') : 'final';
        const pill = h('span', { class: 'pill', title, 'data-state': `${region.name}.${st.name}` }, st.name);
        pills.set(`${region.name}.${st.name}`, pill);
        group.append(pill);
      }
      machine.append(group);
    }
    const tr = h(
      'tr',
      { 'data-lane': `${lane.handler}/${lane.topic}/${lane.partition}`, 'data-testid': 'lane-row' },
      ...Object.values(cells),
    );
    return { tr, cells, pills, button, selector };
  }

  updateRow(row, lane, key, now) {
    const { cells } = row;
    const word = lane.pauseReason ? `${lane.state} (${lane.pauseReason})` : lane.state;
    cells.state.textContent = word;
    cells.state.className = `state state-${lane.state.split('.')[0]}`;
    row.tr.dataset.state = lane.state;
    for (const [name, pill] of row.pills) {
      const [region, state] = name.split('.');
      pill.classList.toggle('on', lane.machine?.[region] === state);
    }
    cells.inFlight.textContent = fmt(lane.inFlight);
    cells.buffered.textContent = fmt(lane.buffered);
    cells.committed.textContent = lane.committed ?? '–';
    const broker = this.brokerLag.get(`${lane.group}\u0000${lane.topic}\u0000${lane.partition}`);
    cells.lag.textContent = fmt(broker ?? lane.lag);
    cells.lag.title =
      broker !== undefined ? 'broker lag (records past the committed position)' : 'records held by the lane';
    cells.rate.textContent = fmt(this.rates.rate(key), 1);
    cells.spark.replaceChildren(sparkline(this.rates.series(key, now)));
    const held = lane.pauseReason === 'operator';
    if (!row.button.disabled) row.button.textContent = held ? 'Resume' : 'Pause';
    row.button.dataset.action = held ? 'resume' : 'pause';
  }

  async toggle(button, selector) {
    const action = button.dataset.action;
    button.disabled = true;
    try {
      const res = action === 'resume' ? await api.resume(selector) : await api.pause(selector);
      this.onInfo(`${action === 'resume' ? 'resumed' : 'paused'} ${res.lanes.length} lane(s)`);
    } catch (err) {
      this.onError(err);
    } finally {
      button.disabled = false;
    }
  }
}
