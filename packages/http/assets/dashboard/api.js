// The admin API client. The token lives in memory and in this tab's
// sessionStorage (never a cookie) and goes out only as the bearer header.

const KEY = 'partita-admin-token';
let token = sessionStorage.getItem(KEY) ?? '';

export const hasToken = () => token !== '';

export function setToken(value) {
  token = value.trim();
  if (token) sessionStorage.setItem(KEY, token);
  else sessionStorage.removeItem(KEY);
}

/** An API error with the server's message. */
export class ApiError extends Error {
  constructor(status, name, message) {
    super(message);
    this.status = status;
    this.name = name;
  }
}

async function request(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
    credentials: 'omit',
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const e = data.error ?? {};
    throw new ApiError(res.status, e.name ?? `HTTP ${res.status}`, e.message ?? res.statusText);
  }
  return data;
}

const topicPath = (topic) => encodeURIComponent(topic);

export const api = {
  app: () => request('GET', '/api/app'),
  laneMachine: () => request('GET', '/api/lane-machine'),
  topics: () => request('GET', '/api/topics'),
  lag: () => request('GET', '/api/lag'),
  records: (topic, query) => request('GET', `/api/topics/${topicPath(topic)}/records?${new URLSearchParams(query)}`),
  pause: (selector) => request('POST', '/api/lanes/pause', selector),
  resume: (selector) => request('POST', '/api/lanes/resume', selector),
  redrive: (topic, body) => request('POST', `/api/dead-letters/${topicPath(topic)}/redrive`, body),
  purge: (topic, body) => request('POST', `/api/topics/${topicPath(topic)}/purge`, body),
};
