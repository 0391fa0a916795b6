import { escapeHtml } from '../core/html';
import { describeWindow } from '../core/release-windows';
import type { ApprovalRecord } from '../ledger/ledger';

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
h1{font-size:1.4rem}ul{padding-left:1.2rem}.state{padding:.6rem .8rem;border-radius:6px;background:#f3f4f6}
.approved{background:#dcfce7}.rejected,.error,.expired,.superseded,.cancelled,.aborted{background:#fee2e2}textarea{width:100%;min-height:4rem}
button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.6rem;border-radius:6px;border:1px solid #888;cursor:pointer}
button[value=approve]{background:#16a34a;color:#fff;border-color:#15803d}button[value=reject]{background:#fff;color:#b91c1c}`;

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

export interface FormFields {
  readonly a: string;
  readonly exp: string;
  readonly sig: string;
  readonly csrf: string;
}

function statusLine(approval: ApprovalRecord): string {
  switch (approval.status) {
    case 'pending':
      return `<p class="state" id="status">Waiting for ${approval.required} approval${approval.required > 1 ? 's' : ''}. Expires ${escapeHtml(approval.expiresAt)}.</p>`;
    case 'expired':
      return `<p class="state expired" id="status">This request <strong>expired</strong> at ${escapeHtml(approval.expiresAt)}; the release was not deployed.</p>`;
    case 'superseded':
      return `<p class="state superseded" id="status">This request was <strong>superseded</strong> by release <strong id="superseded-by">${escapeHtml(approval.supersededBy ?? '')}</strong>.</p>`;
    case 'cancelled':
      return `<p class="state cancelled" id="status">This release was <strong>cancelled</strong> by ${escapeHtml(approval.decidedBy ?? '')} at ${escapeHtml(approval.decidedAt ?? '')}${approval.comment ? `: ${escapeHtml(approval.comment)}` : ''}. It was not deployed.</p>`;
    case 'aborted':
      return `<p class="state aborted" id="status">This release <strong>ended</strong> before a decision (${escapeHtml(approval.comment || 'its execution ended')}); it was not deployed, and this request takes no more decisions.</p>`;
    default:
      return `<p class="state ${escapeHtml(approval.status)}" id="status">This release was <strong>${escapeHtml(approval.status)}</strong>${
        approval.decidedBy
          ? ` by ${escapeHtml(approval.decidedBy)} at ${escapeHtml(approval.decidedAt ?? '')}`
          : ''
      }.${approval.releaseAt && approval.holdReason ? ` The deploy waits until ${escapeHtml(approval.releaseAt)}: ${escapeHtml(approval.holdReason)}.` : ''}</p>`;
  }
}

/** The page a link opens. It only shows; the form's POST decides (mail scanners fetch GETs). */
export function renderApprovalPage(
  approval: ApprovalRecord,
  approver: string,
  form: FormFields | undefined,
  note?: string,
): string {
  const details = approval.details.map((line) => `<li>${escapeHtml(line)}</li>`).join('');
  const votes = Object.entries(approval.votes ?? {});
  const votesHtml = `<h2>Decisions so far</h2>${
    votes.length
      ? `<ul id="votes">${votes
          .map(
            ([who, v]) =>
              `<li>${escapeHtml(who)}: ${escapeHtml(v.decision)} at ${escapeHtml(v.at)} (${escapeHtml(v.channel)})${v.comment ? ` — ${escapeHtml(v.comment)}` : ''}</li>`,
          )
          .join('')}</ul>`
      : '<p id="votes">None yet.</p>'
  }`;
  const windows = (approval.windows ?? []).map(describeWindow);
  const freezes = (approval.freezes ?? []).map((f) => `${f.from} → ${f.to}: ${f.reason}`);
  const schedule =
    windows.length || freezes.length
      ? `<p>Deploys only ${windows.length ? `in ${escapeHtml(windows.join(' or '))}` : ''}${freezes.length ? `${windows.length ? '; ' : ''}not during ${escapeHtml(freezes.join('; '))}` : ''}.</p>`
      : '';
  const formHtml =
    form && approval.status === 'pending'
      ? `<form method="post" action="/approvals/${encodeURIComponent(approval.approvalId)}">
<input type="hidden" name="a" value="${escapeHtml(form.a)}"><input type="hidden" name="exp" value="${escapeHtml(form.exp)}">
<input type="hidden" name="sig" value="${escapeHtml(form.sig)}"><input type="hidden" name="csrf" value="${escapeHtml(form.csrf)}">
<label for="comment">Comment (optional)</label><textarea id="comment" name="comment" maxlength="1000"></textarea>
<p><label for="releaseAt">Release at, UTC (optional; empty = as soon as approved)</label><br><input type="datetime-local" id="releaseAt" name="releaseAt"></p>
<p><button type="submit" name="decision" value="approve">Approve</button><button type="submit" name="decision" value="reject">Reject</button></p>
</form>`
      : '';
  return layout(
    `Approve ${approval.service}?`,
    `<h1>Release ${escapeHtml(approval.releaseId)} of ${escapeHtml(approval.service)}</h1>
<p>You are signed in by this link as <strong>${escapeHtml(approver)}</strong>.</p>
${note ? `<p class="state" id="note">${escapeHtml(note)}</p>` : ''}${statusLine(approval)}<ul>${details}</ul>
<p>Approvers: ${escapeHtml(approval.approvers.join(', '))}; ${approval.required} needed.</p>${schedule}${votesHtml}${formHtml}`,
  );
}

export function renderMessagePage(
  title: string,
  message: string,
  kind: 'error' | 'approved' | 'rejected' | 'info',
): string {
  return layout(
    title,
    `<h1>${escapeHtml(title)}</h1><p class="state ${kind}" id="status">${escapeHtml(message)}</p>`,
  );
}
