// Shared by every console page: the credential typed at sign-in (kept in sessionStorage, this tab only), calls to the
// gateway's own JSON API with it, and display formats (yuan, rates, Beijing time). No data and no rules live here.
const KEY = 'medins-console-credential';
// A city-scope credential acts in the tenant it names (x-tenant-id); the tenants it may choose from, found at sign-in.
const TENANT = 'medins-console-tenant';
const TENANTS = 'medins-console-tenants';

export function credential() { return sessionStorage.getItem(KEY); }
export function signIn(value) { sessionStorage.setItem(KEY, value); }
export function signOut() { for (const key of [KEY, TENANT, TENANTS]) sessionStorage.removeItem(key); }

/** Sends the credential as an API key, or as a bearer token when it is a signed token (three dot-separated parts). */
function authHeaders() {
  const value = credential() || '';
  const headers = value.split('.').length === 3 ? { authorization: 'Bearer ' + value } : { 'x-api-key': value };
  const tenant = sessionStorage.getItem(TENANT);
  if (tenant) headers['x-tenant-id'] = tenant;
  return headers;
}

const LEVELS = ['DIVISION_LEVEL_CITY', 'DIVISION_LEVEL_COUNTY', 'DIVISION_LEVEL_TOWNSHIP', 'DIVISION_LEVEL_VILLAGE'];

/**
 * After sign-in: a credential whose divisions span several tenants has city scope, and the pages let it choose the
 * tenant to look at (the first one to begin with). A tenant's credential sees only its own and chooses nothing.
 */
export async function discoverTenants() {
  const divisions = await apiAll('/v1/divisions', 'divisions', { signInAgain: false });
  const tenants = new Map();
  for (const d of [...divisions].sort((a, b) => LEVELS.indexOf(a.level) - LEVELS.indexOf(b.level))) {
    if (d.tenantId && !tenants.has(d.tenantId)) tenants.set(d.tenantId, d.name);
  }
  if (tenants.size < 2) return;
  const list = [...tenants].map(([id, name]) => ({ id, name })).sort((a, b) => (a.id < b.id ? -1 : 1));
  sessionStorage.setItem(TENANTS, JSON.stringify(list));
  sessionStorage.setItem(TENANT, list[0].id);
}

function tenantPicker() {
  const list = JSON.parse(sessionStorage.getItem(TENANTS) || '[]');
  if (list.length === 0) return;
  const label = document.createElement('label');
  label.className = 'tenant';
  label.textContent = '查看';
  const select = document.createElement('select');
  select.id = 'tenant';
  for (const t of list) {
    const option = document.createElement('option');
    option.value = t.id;
    option.textContent = `${t.name}（${t.id}）`;
    select.append(option);
  }
  select.value = sessionStorage.getItem(TENANT) || list[0].id;
  select.addEventListener('change', () => { sessionStorage.setItem(TENANT, select.value); location.reload(); });
  label.append(select);
  document.getElementById('sign-out')?.before(label);
}

export class ApiError extends Error {
  constructor(status, message, reason) { super(message); this.status = status; this.reason = reason; }
}

async function call(path, { signInAgain = true } = {}) {
  const response = await fetch(path, { headers: authHeaders(), cache: 'no-store' });
  const text = await response.text();
  if (!response.ok) {
    let message = `请求失败（HTTP ${response.status}）`, reason = '';
    try {
      const body = JSON.parse(text);
      if (body.message) message = body.message;
      reason = (body.details || []).map(d => d.reason).find(Boolean) || '';
    } catch { /* not JSON: keep the status line */ }
    if (response.status === 401 && signInAgain) { signOut(); location.replace('index.html?expired=1'); }
    throw new ApiError(response.status, message, reason);
  }
  return text;
}

export async function api(path, options) { return JSON.parse(await call(path, options)); }

/** Every page of a list call, following next_page_token. */
export async function apiAll(path, field, options) {
  const items = [];
  let token = '';
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api(path + sep + 'pageSize=100' + (token ? '&pageToken=' + encodeURIComponent(token) : ''), options);
    items.push(...(page[field] || []));
    token = page.nextPageToken || '';
  } while (token);
  return items;
}

/** A server-streaming call's messages (JSON objects one after another, or an array). */
export async function apiStream(path) {
  const text = (await call(path)).trim();
  if (text.startsWith('[')) return JSON.parse(text);
  const messages = [];
  let depth = 0, start = 0, inString = false, escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) { if (escaped) escaped = false; else if (c === '\\') escaped = true; else if (c === '"') inString = false; continue; }
    if (c === '"') inString = true;
    else if (c === '{') { if (depth++ === 0) start = i; }
    else if (c === '}' && --depth === 0) messages.push(JSON.parse(text.slice(start, i + 1)));
  }
  return messages;
}

/** Pages call this first: without a credential they show nothing and go to sign-in. */
export function requireCredential() {
  if (!credential()) { location.replace('index.html'); throw new Error('未登录'); }
  const out = document.getElementById('sign-out');
  if (out) out.addEventListener('click', () => { signOut(); location.replace('index.html'); });
  tenantPicker();
}

export function coverageYear() {
  const year = Number(new URLSearchParams(location.search).get('year'));
  return Number.isInteger(year) && year > 2000 ? year : 2024;
}

/** Fen (int64 as a JSON string or number) to yuan with two decimals, without floating point. */
export function yuan(fen) {
  let value = BigInt(fen || 0);
  const sign = value < 0n ? '-' : '';
  if (value < 0n) value = -value;
  const whole = (value / 100n).toLocaleString('zh-CN');
  return `${sign}${whole}.${String(value % 100n).padStart(2, '0')}`;
}

export function count(n) { return Number(n || 0).toLocaleString('zh-CN'); }

/** Basis points (1% = 100) to a percentage with two decimals; unset shows a dash. */
export function rate(bp) {
  if (bp === undefined || bp === null) return '—';
  return `${Math.floor(bp / 100)}.${String(bp % 100).padStart(2, '0')}%`;
}

const beijing = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
});

export function beijingTime(timestamp) { return timestamp ? beijing.format(new Date(timestamp)) : '—'; }

/** A google.type.Date as 2023年11月20日. */
export function calendarDate(date) { return date ? `${date.year}年${date.month}月${date.day}日` : '—'; }

/** A table cell (or any element) with text and optional data-field, never HTML from the API. */
export function cell(tag, text, field, className) {
  const element = document.createElement(tag);
  element.textContent = text;
  if (field) element.dataset.field = field;
  if (className) element.className = className;
  return element;
}

export function row(cells, attributes = {}) {
  const tr = document.createElement('tr');
  for (const [name, value] of Object.entries(attributes)) tr.dataset[name] = value;
  for (const c of cells) tr.append(c);
  return tr;
}

export function showError(error) {
  const box = document.getElementById('error');
  if (!box) return;
  box.hidden = false;
  box.textContent = error instanceof ApiError
    ? `${error.message}${error.reason ? `（${error.reason}）` : ''}`
    : `出错了：${error.message}`;
}

/** Village names of the caller's tenant, by code (the registry's divisions). */
export async function divisionNames() {
  const divisions = await apiAll('/v1/divisions', 'divisions');
  return new Map(divisions.map(d => [d.code, d]));
}
