// The dashboard's entry: polls /api/app every 500 ms (lag every 2.5 s) and
// wires the token form, the tabs and both views.
import { ApiError, api, hasToken, setToken } from './api.js';
import { DeadLettersView } from './dead-letters-view.js';
import { $ } from './dom.js';
import { LanesView } from './lanes-view.js';

const POLL_MS = 500;
const LAG_MS = 2500;

let messageTimer;
function message(text, kind) {
  const el = $('message');
  el.textContent = text;
  el.className = `message ${kind}`;
  el.hidden = false;
  clearTimeout(messageTimer);
  messageTimer = setTimeout(() => (el.hidden = true), kind === 'error' ? 10_000 : 4000);
}
const onError = (err) => {
  const hint = err instanceof ApiError && err.status === 401 ? ' (enter the admin token above)' : '';
  message(`${err.message}${hint}`, 'error');
};
const onInfo = (text) => message(text, 'info');

const lanes = new LanesView({ onError, onInfo });
const deadLetters = new DeadLettersView({ onError, onInfo });

function showTokenState() {
  $('token-state').textContent = hasToken() ? 'token set for this tab' : 'no token: read only';
}
$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  setToken($('token').value);
  $('token').value = '';
  showTokenState();
});
$('token-forget').addEventListener('click', () => {
  setToken('');
  showTokenState();
});
showTokenState();

for (const tab of document.querySelectorAll('[data-tab]'))
  tab.addEventListener('click', () => {
    for (const t of document.querySelectorAll('[data-tab]')) t.classList.toggle('active', t === tab);
    for (const v of document.querySelectorAll('[data-view]')) v.hidden = v.dataset.view !== tab.dataset.tab;
    if (tab.dataset.tab === 'dead-letters') void deadLetters.loadTopics().then(() => deadLetters.search(), onError);
  });

function renderHeader(app) {
  $('app-state').textContent = app.state;
  $('app-state').className = `badge state-${app.state}`;
  $('transport').textContent = `transport: ${app.transport}`;
  const health = app.health ?? { status: 'unknown', reasons: [] };
  $('health').textContent = `health: ${health.status}`;
  $('health').className = `badge health-${health.status}`;
  const reasons = health.reasons ?? [];
  $('health-reasons').hidden = reasons.length === 0;
  $('health-reasons').textContent = reasons.join(' · ');
  $('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
}

let lastLag = 0;
let lagAvailable = true;
async function poll() {
  try {
    const app = await api.app();
    if (lagAvailable && Date.now() - lastLag > LAG_MS) {
      lastLag = Date.now();
      api.lag().then(
        (r) => lanes.setLag(r.lag),
        (err) => {
          if (err instanceof ApiError && err.status === 501) lagAvailable = false;
        },
      );
    }
    renderHeader(app);
    lanes.render(app);
  } catch (err) {
    $('app-state').textContent = 'unreachable';
    $('app-state').className = 'badge state-stopped';
    $('updated').textContent = err.message;
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

lanes.loadMachine().then(poll, (err) => {
  onError(err);
  void poll();
});
