import { api, apiAll, requireCredential, coverageYear, count, rate, yuan, cell, row, showError, calendarDate, beijingTime } from './console.js';

requireCredential();
const year = coverageYear();
document.getElementById('year').textContent = `${year} 年度`;

function card(label, value, field) {
  const box = cell('div', '', null, 'card');
  box.append(cell('span', label, null, 'label'), cell('strong', value, field));
  return box;
}

async function bulletinOrNone() {
  try { return await api(`/v1/weeklyBulletins/${year}`); }
  catch (error) { if (error.status === 404 || error.status === 400) return null; throw error; }
}

async function load() {
  const [counties, townships, villages, bulletin, ranking] = await Promise.all([
    apiAll(`/v1/divisionProgress/${year}?level=PROGRESS_LEVEL_COUNTY`, 'divisions'),
    apiAll(`/v1/divisionProgress/${year}?level=PROGRESS_LEVEL_TOWNSHIP`, 'divisions'),
    apiAll(`/v1/villageProgress/${year}`, 'progress'),
    bulletinOrNone(),
    api(`/v1/villageRanking/${year}`),
  ]);

  const summary = document.getElementById('summary');
  for (const county of counties) {
    const c = county.counts || {};
    summary.append(
      card(`${county.divisionName} 参保人数`, count(c.enrolledCount), 'enrolled'),
      card('任务数', count(county.task), 'task'),
      card('参保率', rate(county.enrolmentRateBp), 'rate'),
      card('任务完成率', rate(county.taskCompletionBp), 'completion'),
      card('已收个人缴费（元）', yuan(c.collectedAmountFen), 'collected'),
      card('村（社区）数', count(villages.length), 'village-count'));
  }

  const townshipNames = new Map(townships.map(t => [t.divisionCode, t.divisionName]));
  document.querySelector('#townships tbody').append(...townships.map(t => row([
    cell('th', t.divisionName, 'name'), cell('td', count(t.counts?.enrolledCount), 'enrolled'),
    cell('td', count(t.task), 'task'), cell('td', rate(t.enrolmentRateBp), 'rate'),
    cell('td', rate(t.taskCompletionBp), 'completion'),
  ], { township: t.divisionCode })));

  // Behind schedule as the weekly bulletin (the rules' schedule on its snapshot day) says; nothing is recomputed here.
  const weekly = new Map((bulletin?.villages || []).map(v => [v.villageCode, v]));
  document.getElementById('bulletin-note').textContent = bulletin
    ? `应达进度取自 ${calendarDate(bulletin.snapshotDate)} 周报` : '（尚无周报快照，暂无应达进度）';
  document.querySelector('#villages tbody').append(...villages.map(v => {
    const week = weekly.get(v.villageCode);
    const behind = week?.behindSchedule === true;
    const tr = row([
      cell('th', v.villageName || v.villageCode, 'name'), cell('td', townshipNames.get(v.townshipCode) || v.townshipCode || '', 'township'),
      cell('td', count(v.enrolledCount), 'enrolled'), cell('td', count(v.task), 'task'), cell('td', count(v.base), 'base'),
      cell('td', rate(v.enrolmentRateBp), 'rate'), cell('td', rate(v.taskCompletionBp), 'completion'),
      cell('td', week ? rate(week.expectedRateBp) : '—', 'expected'),
      cell('td', week ? (behind ? '落后于进度' : '达到进度') : '—', 'status'),
    ], { village: v.villageCode });
    if (behind) tr.classList.add('behind');
    return tr;
  }));

  if (bulletin) {
    document.getElementById('bulletin-date').textContent =
      `${calendarDate(bulletin.snapshotDate)}（生成于 ${beijingTime(bulletin.takenTime)}），应达 ${rate(bulletin.expectedRateBp)}，落后 ${bulletin.villagesBehindSchedule || 0} 个村`;
    document.querySelector('#bulletin tbody').append(...(bulletin.villages || []).map(v => row([
      cell('th', v.villageName, 'name'), cell('td', count(v.enrolledThisWeek), 'this-week'),
      cell('td', rate(v.enrolmentRateBp), 'rate'), cell('td', rate(v.expectedRateBp), 'expected'), cell('td', rate(v.gapBp || 0), 'gap'),
    ], { village: v.villageCode })));
  } else {
    document.getElementById('bulletin-date').textContent = '暂无';
  }

  document.getElementById('ranking-note').textContent =
    `${ranking.live ? '实时' : calendarDate(ranking.rankingDate)}，截至 ${beijingTime(ranking.asOfTime)}，奖励合计 ${yuan(ranking.totalRewardFen)} 元`;
  document.querySelector('#ranking tbody').append(...(ranking.standings || []).map(s => row([
    cell('td', String(s.rank), 'rank'), cell('th', s.villageName, 'name'), cell('td', rate(s.enrolmentRateBp || 0), 'rate'),
    cell('td', s.rewardBand || '—', 'band'), cell('td', yuan(s.rewardFen), 'reward'),
    cell('td', ((s.scoreCentipoints || 0) / 100).toFixed(2), 'score'),
  ], { village: s.villageCode })));
  document.body.dataset.loaded = 'true';
}

load().catch(error => { showError(error); document.body.dataset.loaded = 'error'; });
