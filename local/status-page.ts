import type { Ledger } from '../lambdas/shared/ledger';
import type { Catalog } from '../lib/catalog/types';

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** Each service's mode, what is live, and its recent releases, from the ledger. */
export async function renderStatusPage(ledger: Ledger, catalog: Catalog): Promise<string> {
  const sections: string[] = [];
  for (const service of catalog.services) {
    const [state, releases] = await Promise.all([
      ledger.getServiceState(service.name),
      ledger.listReleases(service.name, 10),
    ]);
    const rows = releases
      .map(
        (r) =>
          `<tr><td>${escapeHtml(r.releaseId)}</td><td>${escapeHtml(r.commit?.sha.slice(0, 12) ?? '-')}</td>` +
          `<td class="${escapeHtml(r.status)}">${escapeHtml(r.status)}</td><td>${escapeHtml(r.outcome?.stage ?? '-')}</td>` +
          `<td>${escapeHtml(r.outcome?.reason ?? '')}</td></tr>`,
      )
      .join('');
    sections.push(
      `<section><h2>${escapeHtml(service.name)} <small>${service.mode}</small></h2>` +
        `<p>Live: ${state?.liveVersion ? `version ${escapeHtml(state.liveVersion)} (${escapeHtml(state.liveReleaseId ?? '')})` : 'nothing yet'}</p>` +
        `<table><thead><tr><th>Release</th><th>Commit</th><th>Outcome</th><th>Ended at</th><th>Reason</th></tr></thead><tbody>${rows}</tbody></table></section>`,
    );
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sluice status</title><style>
body{font:14px/1.5 system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:left}
.succeeded{color:#15803d}.failed,.rolled_back,.rejected{color:#b91c1c}</style></head><body><h1>Sluice</h1>${sections.join('')}</body></html>`;
}
