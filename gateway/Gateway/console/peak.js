import { api, apiAll, requireCredential, coverageYear, count, yuan, cell, row, showError, beijingTime, calendarDate } from './console.js';

requireCredential();
const year = coverageYear();
const POLL_MS = 5000;
const HOUR_MS = 3600 * 1000;
const CHANNELS = {
  PAYMENT_CHANNEL_WECHAT_PAY: '微信支付', PAYMENT_CHANNEL_ALIPAY: '支付宝', PAYMENT_CHANNEL_TAX_E_BUREAU: '电子税务局',
  PAYMENT_CHANNEL_YUKUAIBAN: '渝快办', PAYMENT_CHANNEL_BANK_COUNTER: '银行柜台', PAYMENT_CHANNEL_VILLAGE_POS: '村级 POS',
  PAYMENT_CHANNEL_SCHOOL: '学校代收', PAYMENT_CHANNEL_VILLAGE_CASH: '村代收现金',
};
// Successive readings of today's confirmed count; the rate per minute is their difference, computed here from the API's counts.
const readings = [];

function card(label, value, field) {
  const box = cell('div', '', null, 'card');
  box.append(cell('span', label, null, 'label'), cell('strong', value, field));
  return box;
}

function perMinute() {
  if (readings.length < 2) return null;
  const last = readings[readings.length - 1], previous = readings[readings.length - 2];
  return ((last.paid - previous.paid) * 60000) / Math.max(1, last.at - previous.at);
}

function draw() {
  const canvas = document.getElementById('chart');
  const width = canvas.clientWidth || canvas.width;
  canvas.width = width;
  const context = canvas.getContext('2d');
  const height = canvas.height;
  context.clearRect(0, 0, width, height);
  const points = readings.slice(1).map((r, i) => ({ at: r.at, value: ((r.paid - readings[i].paid) * 60000) / Math.max(1, r.at - readings[i].at) }));
  const max = Math.max(10, ...points.map(p => p.value));
  const now = Date.now();
  context.strokeStyle = '#c8ccd4';
  context.fillStyle = '#555';
  context.font = '12px sans-serif';
  for (let i = 0; i <= 4; i++) {
    const y = height - 20 - ((height - 30) * i) / 4;
    context.beginPath(); context.moveTo(40, y); context.lineTo(width, y); context.stroke();
    context.fillText(String(Math.round((max * i) / 4)), 4, y + 4);
  }
  context.fillText('60 分钟前', 40, height - 4);
  context.fillText('现在', width - 30, height - 4);
  context.strokeStyle = '#b3261e';
  context.lineWidth = 2;
  const place = p => [40 + ((width - 40) * (HOUR_MS - (now - p.at))) / HOUR_MS, height - 20 - ((height - 30) * p.value) / max];
  context.beginPath();
  points.forEach((p, i) => { const [x, y] = place(p); if (i === 0) context.moveTo(x, y); else context.lineTo(x, y); });
  context.stroke();
  // A dot per reading, so the first minutes show before there is a line.
  context.fillStyle = '#b3261e';
  for (const p of points) { const [x, y] = place(p); context.beginPath(); context.arc(x, y, 3, 0, 2 * Math.PI); context.fill(); }
}

async function poll() {
  // Confirmations and the review queue from payment-collection (GetCollectionActivity, today in Beijing time);
  // enrolment from quota-tracking's county totals.
  const [counties, activity] = await Promise.all([
    apiAll(`/v1/divisionProgress/${year}?level=PROGRESS_LEVEL_COUNTY`, 'divisions'),
    api('/v1/collectionActivity'),
  ]);
  const confirmed = Number(activity.confirmedCount || 0);
  const enrolled = counties.reduce((s, c) => s + Number(c.counts?.enrolledCount || 0), 0);
  const refunded = counties.reduce((s, c) => s + Number(c.counts?.refundedCount || 0), 0);
  // The platform's clock, not the browser's: the demo city replays a campaign day.
  const at = activity.readTime ? Date.parse(activity.readTime) : Date.now();
  // A new day starts the count again: the readings of the day before say nothing about this one.
  if (readings.length && confirmed < readings[readings.length - 1].paid) readings.length = 0;
  readings.push({ at, paid: confirmed });
  while (readings.length && readings[0].at < at - HOUR_MS) readings.shift();
  const rate = perMinute();

  document.getElementById('live').replaceChildren(
    card('每分钟缴费（笔）', rate === null ? '—' : rate.toFixed(1), 'per-minute'),
    card('今日确认（笔）', count(confirmed), 'confirmed'),
    card('今日确认金额（元）', yuan(activity.confirmedAmountFen), 'confirmed-amount'),
    card('待复核（笔）', count(activity.openReviewCount), 'reviews'),
    card('今日拒收通知（笔）', count(activity.reviewsOpenedCount), 'refused'),
    card('待投递事件', count(activity.pendingEventCount), 'backlog'),
    card('参保人数', count(enrolled), 'enrolled'),
    card('全额退费人数', count(refunded), 'refunded'));
  document.querySelector('#channels tbody').replaceChildren(...(activity.channels || []).map(c => row([
    cell('th', CHANNELS[c.channel] || c.channel, 'name'), cell('td', count(c.confirmedCount), 'paid'),
    cell('td', yuan(c.confirmedAmountFen), 'amount'),
  ], { channel: c.channel })));
  document.getElementById('as-of').textContent =
    `${calendarDate(activity.date)}，读取于 ${beijingTime(new Date(at).toISOString()).slice(-8)}（北京时间）`;
  draw();
  document.body.dataset.loaded = 'true';
  document.body.dataset.polls = String(Number(document.body.dataset.polls || 0) + 1);
}

async function loop() {
  try { await poll(); } catch (error) { showError(error); }
  setTimeout(loop, POLL_MS);
}

loop();
