// The dead-letters view: pick a topic, search by reason / error / key / group /
// time, view one record, redrive a selection (a dry run first, then confirm),
// purge with confirmation.
import { api } from './api.js';
import { $, h } from './dom.js';

const H = {
  reason: 'partita-dead-letter-reason',
  errorName: 'partita-error-name',
  errorMessage: 'partita-error-message',
  group: 'partita-group',
  failedAt: 'partita-failed-at',
  key: 'partita-original-key',
};

const looksDead = (name) => /(\.dlq|dlq|dead)/i.test(name);

function payloadText(r) {
  if (r.value === null) return '(tombstone: no value)';
  if (r.text !== undefined) {
    try {
      return JSON.stringify(JSON.parse(r.text), null, 2);
    } catch {
      return r.text;
    }
  }
  const bytes = Uint8Array.from(atob(r.value), (c) => c.charCodeAt(0));
  return `(binary, ${bytes.length} bytes)\n${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`;
}

export class DeadLettersView {
  records = [];
  selected = new Set();
  pending = undefined;

  constructor({ onError, onInfo }) {
    this.onError = onError;
    this.onInfo = onInfo;
    $('dl-search').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.search();
    });
    $('dl-topic').addEventListener('change', () => void this.search());
    $('dl-all').addEventListener('change', (e) => {
      for (const r of this.records) {
        if (e.target.checked) this.selected.add(r.id);
        else this.selected.delete(r.id);
      }
      this.renderRecords();
    });
    $('dl-redrive').addEventListener('click', () => void this.redriveDryRun());
    $('dl-purge').addEventListener('click', () => this.confirmPurge(false));
    $('dl-purge-all').addEventListener('click', () => this.confirmPurge(true));
    $('dl-confirm-cancel').addEventListener('click', () => this.closeConfirm());
    $('dl-confirm-go').addEventListener('click', () => void this.confirmed());
  }

  get topic() {
    return $('dl-topic').value;
  }

  /** Fill the topic list (dead-letter topics first); keeps the current choice. */
  async loadTopics() {
    const { topics } = await api.topics();
    const current = this.topic;
    const names = topics
      .map((t) => t.name)
      .sort((a, b) => Number(looksDead(b)) - Number(looksDead(a)) || a.localeCompare(b));
    const byName = new Map(topics.map((t) => [t.name, t]));
    $('dl-topic').replaceChildren(
      ...names.map((n) => {
        const t = byName.get(n);
        const depth = t.depth !== undefined ? ` (${t.depth})` : '';
        return h('option', { value: n, selected: n === current }, `${n}${depth}`);
      }),
    );
  }

  query() {
    const q = {};
    const put = (k, id) => {
      const v = $(id).value.trim();
      if (v) q[k] = v;
    };
    put('reason', 'dl-reason');
    put('errorName', 'dl-error');
    put('key', 'dl-key');
    put('group', 'dl-group');
    for (const [k, id] of [
      ['since', 'dl-since'],
      ['until', 'dl-until'],
    ]) {
      const v = $(id).value;
      if (v) q[k] = String(new Date(v).getTime());
    }
    put('limit', 'dl-limit');
    return q;
  }

  /** The filter the search form describes, as redrive takes it. */
  filter() {
    const { limit: _limit, since, until, ...rest } = this.query();
    return { ...rest, ...(since ? { since: Number(since) } : {}), ...(until ? { until: Number(until) } : {}) };
  }

  async search() {
    if (!this.topic) return;
    try {
      const res = await api.records(this.topic, this.query());
      this.records = res.records;
      const ids = new Set(this.records.map((r) => r.id));
      for (const id of this.selected) if (!ids.has(id)) this.selected.delete(id);
      $('dl-count').textContent =
        `${res.records.length} record(s)` +
        (res.complete === false ? ` (search stopped after ${res.scanned} records)` : '');
      this.renderRecords();
    } catch (err) {
      this.onError(err);
    }
  }

  renderRecords() {
    const rows = this.records.map((r) => {
      const box = h('input', { type: 'checkbox', checked: this.selected.has(r.id), 'aria-label': `select ${r.id}` });
      box.addEventListener('click', (e) => e.stopPropagation());
      box.addEventListener('change', () => {
        if (box.checked) this.selected.add(r.id);
        else this.selected.delete(r.id);
        this.updateButtons();
      });
      const hd = r.headers;
      const tr = h(
        'tr',
        { 'data-id': r.id, 'data-testid': 'dl-row', class: 'clickable' },
        h('td', {}, box),
        h('td', { class: 'mono' }, r.id),
        h('td', {}, hd[H.key] ?? r.key ?? ''),
        h('td', {}, hd[H.reason] ?? ''),
        h('td', { title: hd[H.errorMessage] ?? '' }, hd[H.errorName] ?? ''),
        h('td', {}, hd[H.group] ?? ''),
        h('td', {}, hd[H.failedAt] ?? new Date(r.timestamp).toISOString()),
      );
      tr.addEventListener('click', () => this.show(r));
      return tr;
    });
    $('dl-records').replaceChildren(...rows);
    $('dl-all').checked = this.records.length > 0 && this.records.every((r) => this.selected.has(r.id));
    this.updateButtons();
  }

  updateButtons() {
    const n = this.selected.size;
    $('dl-redrive').disabled = n === 0;
    $('dl-purge').disabled = n === 0;
    $('dl-redrive').textContent = n ? `Redrive ${n} selected…` : 'Redrive selected…';
    $('dl-purge').textContent = n ? `Purge ${n} selected…` : 'Purge selected…';
  }

  show(r) {
    $('dl-detail').hidden = false;
    $('dl-detail-title').textContent = `${r.topic} ${r.id}`;
    const rows = [
      ['key', r.key ?? '(none)'],
      ['timestamp', new Date(r.timestamp).toISOString()],
      ...Object.entries(r.headers).sort(([a], [b]) => a.localeCompare(b)),
    ];
    $('dl-detail-headers').replaceChildren(
      ...rows.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', { class: 'mono' }, v))),
    );
    $('dl-detail-payload').textContent = payloadText(r);
  }

  async redriveDryRun() {
    const ids = [...this.selected];
    try {
      const plan = await api.redrive(this.topic, { ids, dryRun: true });
      const groups = Object.entries(plan.byGroup)
        .map(([g, n]) => `${n} to group ${g}`)
        .join(', ');
      this.openConfirm(
        { kind: 'redrive', ids },
        `Dry run: ${plan.matched} record(s) would be redriven (${groups || 'none'}). Each goes back to the topic it failed on, for the group that failed it only.`,
        plan.plan
          .map((p) => `${p.id}  →  ${p.topic}  group ${p.group}  key ${p.key ?? '-'}  (${p.reason ?? '?'})`)
          .join('\n'),
        false,
      );
    } catch (err) {
      this.onError(err);
    }
  }

  confirmPurge(all) {
    const ids = [...this.selected];
    this.openConfirm(
      { kind: 'purge', ids: all ? undefined : ids },
      all
        ? `Purge every record of ${this.topic}? This cannot be undone.`
        : `Purge ${ids.length} selected record(s) of ${this.topic}? This cannot be undone.`,
      all ? '' : ids.join('\n'),
      all,
    );
  }

  openConfirm(action, text, plan, typed) {
    this.pending = action;
    $('dl-confirm').hidden = false;
    $('dl-confirm').dataset.kind = action.kind;
    $('dl-confirm-text').textContent = text;
    $('dl-confirm-plan').textContent = plan;
    $('dl-confirm-plan').hidden = plan === '';
    $('dl-confirm-typed-label').hidden = !typed;
    $('dl-confirm-typed').value = '';
    $('dl-confirm-go').textContent = action.kind === 'redrive' ? 'Redrive now' : 'Purge now';
  }

  closeConfirm() {
    this.pending = undefined;
    $('dl-confirm').hidden = true;
  }

  async confirmed() {
    const action = this.pending;
    if (!action) return;
    if (!$('dl-confirm-typed-label').hidden && $('dl-confirm-typed').value !== this.topic) {
      this.onError(new Error(`type the topic name "${this.topic}" to confirm`));
      return;
    }
    try {
      if (action.kind === 'redrive') {
        const res = await api.redrive(this.topic, { ids: action.ids });
        this.onInfo(`redriven ${res.redriven} of ${res.matched} record(s)`);
      } else {
        const res = await api.purge(this.topic, action.ids ? { positions: action.ids } : {});
        this.onInfo(`purged ${res.removed} record(s)`);
        this.selected.clear();
      }
      this.closeConfirm();
      await this.search();
    } catch (err) {
      this.onError(err);
    }
  }
}
