import { api, apiStream, requireCredential, coverageYear, cell, row, showError, divisionNames } from './console.js';

requireCredential();
const year = coverageYear();
const PAGE_SIZE = 20;
const ledger = document.getElementById('ledger');
const village = document.getElementById('village');
const tbody = document.querySelector('#entries tbody');
let names = new Map();
// Tokens of the pages seen, so 上一页 goes back without the API keeping any state.
let tokens = [''];
let next = '';

function query(token) {
  const params = new URLSearchParams({ coverageYear: String(year), pageSize: String(PAGE_SIZE) });
  if (village.value) params.set('villageCode', village.value);
  if (token) params.set('pageToken', token);
  return `/v1/ledgers/${ledger.value}?${params}`;
}

async function show() {
  document.body.dataset.loaded = 'false';
  const page = await api(query(tokens[tokens.length - 1]));
  next = page.nextPageToken || '';
  // ID numbers and phones as the API gives them (masked unless the caller has city scope).
  tbody.replaceChildren(...(page.entries || []).map(e => row([
    cell('th', e.name, 'name'), cell('td', e.nationalId, 'national-id'),
    cell('td', names.get(e.villageCode)?.name || e.villageCode, 'village'), cell('td', e.householdNumber || '—', 'household'),
    cell('td', e.phone || '—', 'phone'), cell('td', (e.identityCategories || []).join('、') || '—', 'categories'),
  ], { resident: e.residentId })));
  if (!page.entries?.length) tbody.append(row([cell('td', '该台账没有人员。', 'empty')]));
  document.getElementById('page-number').textContent = `第 ${tokens.length} 页`;
  document.getElementById('previous').disabled = tokens.length === 1;
  document.getElementById('next').disabled = !next;
  document.body.dataset.loaded = 'true';
}

function restart() { tokens = ['']; show().catch(showError); }

async function exportCsv() {
  const params = new URLSearchParams({ coverageYear: String(year) });
  if (village.value) params.set('villageCode', village.value);
  // The registry writes the file (ExportLedgerCsv); the page only joins its chunks and offers them for download.
  const chunks = await apiStream(`/v1/ledgers/${ledger.value}:exportCsv?${params}`);
  const blob = new Blob(['\ufeff', ...chunks.map(c => c.csvChunk || '')], { type: 'text/csv;charset=utf-8' });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = `${ledger.selectedOptions[0].textContent}-${year}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  document.body.dataset.exported = String(blob.size);
}

async function start() {
  names = await divisionNames();
  for (const d of names.values()) {
    if (d.level !== 'DIVISION_LEVEL_VILLAGE') continue;
    const option = document.createElement('option');
    option.value = d.code;
    option.textContent = d.name;
    village.append(option);
  }
  ledger.addEventListener('change', restart);
  village.addEventListener('change', restart);
  document.getElementById('next').addEventListener('click', () => { tokens.push(next); show().catch(showError); });
  document.getElementById('previous').addEventListener('click', () => { tokens.pop(); show().catch(showError); });
  document.getElementById('export').addEventListener('click', () => exportCsv().catch(showError));
  await show();
}

start().catch(error => { showError(error); document.body.dataset.loaded = 'error'; });
