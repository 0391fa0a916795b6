/** The catalog's `approval` block: approvers, quorum, expiry, channels, Slack users, release windows, freezes. */
import { parseIsoTime } from '../iso-time';
import {
  type FreezePeriod,
  isValidTimeZone,
  minutesOf,
  type ReleaseWindow,
  WEEKDAYS,
} from '../release-windows';
import { type Checker, childPath, didYouMean, isObject, type Json } from './checker';
import { APPROVAL_CHANNELS, CATALOG_DEFAULTS, EMAIL, MAX_EXPIRY_HOURS } from './constants';
import type { ApprovalChannel, ApprovalPolicy, ApproverIdentities } from './types';

const APPROVAL_KEYS = [
  'approvers',
  'required',
  'expiresAfterHours',
  'channels',
  'slackUserIds',
  'identities',
  'windows',
  'freezes',
] as const;
const WINDOW_KEYS = ['days', 'start', 'end', 'timeZone'] as const;
const FREEZE_KEYS = ['from', 'to', 'reason'] as const;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function checkWindows(c: Checker, parent: Json, path: string): ReleaseWindow[] | undefined {
  const raw = c.array(parent, 'windows', path, { emptyFix: 'list at least one window, or remove `windows`' });
  if (!raw) return undefined;
  return raw.map((value, i) => {
    const at = `${childPath(path, 'windows')}[${i}]`;
    const o =
      c.object(
        value,
        at,
        WINDOW_KEYS,
        'use { "days": ["Mon"], "start": "09:00", "end": "16:00", "timeZone": "Europe/Berlin" }',
      ) ?? {};
    const days =
      c.array(o, 'days', at, {
        missingFix: `add the days, e.g. ["Mon","Tue","Wed","Thu"]`,
        emptyFix: `list at least one of ${WEEKDAYS.join(', ')}`,
      }) ?? [];
    days.forEach((day, j) => {
      if (typeof day !== 'string' || !(WEEKDAYS as readonly string[]).includes(day))
        c.add(`${at}.days[${j}]`, day, `use one of ${WEEKDAYS.join(', ')}${didYouMean(day, WEEKDAYS)}`);
    });
    const time = (key: 'start' | 'end') =>
      c.string(o, key, at, {
        missingFix: `add the ${key} time as HH:MM (24 h)`,
        problem: (v) =>
          Number.isNaN(minutesOf(v)) ? 'use HH:MM on a 24-hour clock, e.g. "09:00"' : undefined,
      });
    const start = time('start');
    const end = time('end');
    if (start && end && minutesOf(end) <= minutesOf(start))
      c.add(childPath(at, 'end'), end, `use a time after start (${start})`);
    const timeZone = c.string(o, 'timeZone', at, {
      missingFix: 'add an IANA time zone, e.g. "Europe/Berlin" or "UTC"',
      problem: (v) =>
        isValidTimeZone(v) ? undefined : 'use an IANA time zone name, e.g. "Europe/Berlin" or "UTC"',
    });
    return { days: days as string[], start, end, timeZone };
  });
}

function checkFreezes(c: Checker, parent: Json, path: string): FreezePeriod[] | undefined {
  const raw = c.array(parent, 'freezes', path, { emptyFix: 'list at least one freeze, or remove `freezes`' });
  if (!raw) return undefined;
  return raw.map((value, i) => {
    const at = `${childPath(path, 'freezes')}[${i}]`;
    const o =
      c.object(
        value,
        at,
        FREEZE_KEYS,
        'use { "from": "2026-12-20T00:00Z", "to": "2027-01-04T00:00Z", "reason": "year-end freeze" }',
      ) ?? {};
    const stamp = (key: 'from' | 'to') =>
      c.string(o, key, at, {
        missingFix: 'add an ISO 8601 time with a zone, e.g. "2026-12-20T00:00Z"',
        problem: (v) =>
          ISO_TIME.test(v) && parseIsoTime(v) !== undefined
            ? undefined
            : 'use an ISO 8601 time with a zone, e.g. "2026-12-20T00:00Z"',
      });
    const from = stamp('from');
    const to = stamp('to');
    if (from && to && Date.parse(to) <= Date.parse(from))
      c.add(childPath(at, 'to'), to, `use a time after from (${from})`);
    const reason = c.string(o, 'reason', at, {
      missingFix: 'say why, e.g. "year-end freeze": it is shown to approvers',
    });
    return { from, to, reason };
  });
}

function checkSlackUserIds(c: Checker, parent: Json, path: string, approvers: readonly string[]) {
  const at = childPath(path, 'slackUserIds');
  const o = parent.slackUserIds;
  if (!isObject(o)) {
    c.add(
      at,
      o,
      'use an object mapping approver emails to Slack user ids, e.g. { "alice@example.com": "U012AB3CD" }',
    );
    return undefined;
  }
  const ids: Record<string, string> = {};
  for (const [email, id] of Object.entries(o)) {
    if (!approvers.some((a) => a.toLowerCase() === email.toLowerCase()))
      c.add(childPath(at, email), id, `map only approvers (${approvers.join(', ')}) to Slack user ids`);
    else if (typeof id !== 'string' || !/^[UW][A-Z0-9]{2,20}$/.test(id))
      c.add(childPath(at, email), id, 'use a Slack user id such as "U012AB3CD" (profile → Copy member ID)');
    else ids[email] = id;
  }
  return ids;
}

const IDENTITY_KEYS = ['gitEmails', 'githubLogins', 'iamPrincipals'] as const;
/** An IAM user or role ARN (any path), or an STS assumed-role session ARN. */
export const IAM_PRINCIPAL_ARN =
  /^arn:aws[a-z-]*:(iam::\d{12}:(user|role)\/([\w+=,.@-]+\/)*[\w+=,.@-]+|sts::\d{12}:assumed-role\/[\w+=,.@-]+\/[\w+=,.@-]+)$/;
const GITHUB_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;

function checkIdentities(
  c: Checker,
  parent: Json,
  path: string,
  approvers: readonly string[],
): Record<string, ApproverIdentities> | undefined {
  const at = childPath(path, 'identities');
  const o = parent.identities;
  if (!isObject(o)) {
    c.add(
      at,
      o,
      'use an object mapping approver emails to their identities, e.g. { "alice@example.com": { "gitEmails": ["alice@users.noreply.github.com"], "githubLogins": ["alice"], "iamPrincipals": ["arn:aws:iam::123456789012:user/alice"] } }',
    );
    return undefined;
  }
  const out: Record<string, ApproverIdentities> = {};
  // Which approver each identity belongs to: one identity naming two approvers would make no-self-approval
  // and the CLI's mapping ambiguous.
  const owner = new Map<string, string>();
  for (const [email, value] of Object.entries(o)) {
    const entryPath = childPath(at, email);
    if (!approvers.some((a) => a.toLowerCase() === email.toLowerCase())) {
      c.add(entryPath, value, `map only approvers (${approvers.join(', ')}) to identities`);
      continue;
    }
    const entry = c.object(
      value,
      entryPath,
      IDENTITY_KEYS,
      'use { "gitEmails": [...], "githubLogins": [...], "iamPrincipals": [...] }',
    );
    if (!entry) continue;
    const lists: { -readonly [K in keyof ApproverIdentities]: string[] } = {};
    for (const key of IDENTITY_KEYS) {
      if (entry[key] === undefined) continue;
      const [pattern, fix] =
        key === 'gitEmails'
          ? [EMAIL, 'use an email address, e.g. "alice@users.noreply.github.com"']
          : key === 'githubLogins'
            ? [GITHUB_LOGIN, 'use a GitHub login, e.g. "alice" (1-39 letters, digits or hyphens)']
            : [
                IAM_PRINCIPAL_ARN,
                'use an IAM user or role ARN, e.g. "arn:aws:iam::123456789012:user/alice", or an assumed-role session ARN',
              ];
      const raw = c.array(entry, key, entryPath, { emptyFix: `list at least one, or remove ${key}` }) ?? [];
      const kept: string[] = [];
      for (const [i, item] of raw.entries()) {
        const itemPath = `${childPath(entryPath, key)}[${i}]`;
        if (typeof item !== 'string' || !pattern.test(item)) {
          c.add(itemPath, item, fix);
          continue;
        }
        const normalized = item.toLowerCase();
        const other = owner.get(normalized);
        if (other !== undefined && other !== email.toLowerCase()) {
          c.add(itemPath, item, `already an identity of ${other}; an identity belongs to one approver`);
          continue;
        }
        owner.set(normalized, email.toLowerCase());
        kept.push(item);
      }
      lists[key] = kept;
    }
    out[email] = lists;
  }
  return out;
}

export function checkApproval(c: Checker, value: unknown, path: string): ApprovalPolicy {
  const o = c.object(value, path, APPROVAL_KEYS, undefined) ?? {};
  const approversPath = childPath(path, 'approvers');
  const list = c.array(o, 'approvers', path, {
    missingFix: 'list the email addresses of the people allowed to approve, e.g. ["alice@example.com"]',
    emptyFix: 'list at least one approver email address',
  });
  const approvers: string[] = [];
  const seen = new Map<string, number>();
  list?.forEach((approver, i) => {
    const at = `${approversPath}[${i}]`;
    if (typeof approver !== 'string' || !EMAIL.test(approver)) {
      c.add(at, approver, 'use an email address, e.g. "alice@example.com"');
      return;
    }
    const key = approver.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      c.add(at, approver, `already listed as approvers[${first}]; remove the duplicate`);
      return;
    }
    seen.set(key, i);
    approvers.push(approver);
  });
  // Only a fully valid list gives a trustworthy upper bound for `required`.
  const count = list !== undefined && approvers.length === list.length ? approvers.length : undefined;
  const required = c.number(o, 'required', path, {
    default: CATALOG_DEFAULTS.approval.required,
    integer: true,
    accept: (n) => n >= 1 && (count === undefined || n <= count),
    fix:
      count === undefined
        ? 'use a whole number of approvals, at least 1'
        : `use a whole number from 1 to ${count} (the number of approvers)`,
  });
  const expiresAfterHours = c.number(o, 'expiresAfterHours', path, {
    default: CATALOG_DEFAULTS.approval.expiresAfterHours,
    integer: true,
    accept: (n) => n >= 1 && n <= MAX_EXPIRY_HOURS,
    fix: `use a whole number of hours from 1 to ${MAX_EXPIRY_HOURS} (7 days)`,
  });
  const channelsPath = childPath(path, 'channels');
  let channels: ApprovalChannel[] = [...CATALOG_DEFAULTS.approval.channels];
  if (o.channels !== undefined) {
    channels = [];
    const raw = c.array(o, 'channels', path, {
      emptyFix: `list at least one of ${APPROVAL_CHANNELS.join(', ')}`,
    });
    raw?.forEach((channel, i) => {
      const at = `${channelsPath}[${i}]`;
      if (typeof channel !== 'string' || !(APPROVAL_CHANNELS as readonly string[]).includes(channel)) {
        c.add(
          at,
          channel,
          `use one of ${APPROVAL_CHANNELS.join(', ')}${didYouMean(channel, APPROVAL_CHANNELS)}`,
        );
      } else if (channels.includes(channel as ApprovalChannel)) {
        c.add(at, channel, `already listed as channels[${raw.indexOf(channel)}]; remove the duplicate`);
      } else {
        channels.push(channel as ApprovalChannel);
      }
    });
  }
  const slackUserIds = o.slackUserIds === undefined ? undefined : checkSlackUserIds(c, o, path, approvers);
  const identities = o.identities === undefined ? undefined : checkIdentities(c, o, path, approvers);
  const windows = o.windows === undefined ? undefined : checkWindows(c, o, path);
  const freezes = o.freezes === undefined ? undefined : checkFreezes(c, o, path);
  return {
    approvers,
    required,
    expiresAfterHours,
    channels,
    ...(slackUserIds ? { slackUserIds } : {}),
    ...(identities ? { identities } : {}),
    ...(windows ? { windows } : {}),
    ...(freezes ? { freezes } : {}),
  };
}
