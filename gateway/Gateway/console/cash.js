import { api, apiAll, requireCredential, count, yuan, cell, row, showError, calendarDate, beijingTime, divisionNames } from './console.js';

requireCredential();

async function load() {
  const [names, first, agents] = await Promise.all([divisionNames(), api('/v1/villageCashBalances?pageSize=100'),
    apiAll('/v1/agentCashBalances', 'agents')]);
  const villages = [...(first.villages || [])];
  for (let token = first.nextPageToken; token;) {
    const page = await api(`/v1/villageCashBalances?pageSize=100&pageToken=${encodeURIComponent(token)}`);
    villages.push(...(page.villages || []));
    token = page.nextPageToken;
  }
  document.getElementById('cash-date').textContent =
    `${calendarDate(first.date)}，解缴截止 ${beijingTime(first.cutoffTime)}（北京时间）`;
  let unremitted = 0n;
  document.querySelector('#cash tbody').append(...villages.map(v => {
    const b = v.balance || {};
    unremitted += BigInt(b.unremittedAmountFen || 0);
    const tr = row([
      cell('th', names.get(v.villageCode)?.name || v.villageCode, 'name'), cell('td', count(v.agentCount), 'agents'),
      cell('td', count(b.collectedReceiptCount), 'receipts'), cell('td', yuan(b.collectedAmountFen), 'collected'),
      cell('td', yuan(b.remittedAmountFen), 'remitted'), cell('td', yuan(b.unremittedAmountFen), 'unremitted'),
      cell('td', count(b.unremittedReceiptCount), 'unremitted-receipts'),
    ], { village: v.villageCode });
    if (BigInt(b.unremittedAmountFen || 0) > 0n) tr.classList.add('behind');
    return tr;
  }));
  document.querySelector('#agents tbody').append(...agents.map(a => {
    const b = a.balance || {};
    const agent = a.agent || {};
    const tr = row([
      cell('th', agent.name || agent.agentId, 'name'), cell('td', agent.agentId, 'agent-id'),
      cell('td', names.get(agent.villageCode)?.name || agent.villageCode, 'village'),
      cell('td', count(b.collectedReceiptCount), 'receipts'), cell('td', yuan(b.collectedAmountFen), 'collected'),
      cell('td', yuan(b.remittedAmountFen), 'remitted'),
      cell('td', yuan(b.unremittedAmountFen), 'unremitted'),
      cell('td', count(b.unremittedReceiptCount), 'unremitted-receipts'),
      cell('td', a.overdue ? '逾期未解缴' : BigInt(b.unremittedAmountFen || 0) > 0n ? '待解缴' : '—', 'status'),
    ], { agent: agent.agentId });
    if (BigInt(b.unremittedAmountFen || 0) > 0n) tr.classList.add('behind');
    return tr;
  }));
  const summary = document.getElementById('cash-summary');
  const box = cell('div', '', null, 'card');
  box.append(cell('span', '未解缴合计（元）', null, 'label'), cell('strong', yuan(unremitted), 'unremitted-total'));
  summary.append(box);
  if (villages.length === 0) summary.append(cell('p', '今日尚无村代收现金。', 'empty', 'hint'));
  document.body.dataset.loaded = 'true';
}

load().catch(error => { showError(error); document.body.dataset.loaded = 'error'; });
