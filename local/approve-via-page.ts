/**
 * Decides an approval the way a person does: GET the link's page, read its form, POST the form with a
 * decision. The demo uses it when no person is at a terminal; tests use it as the "browser" of last resort.
 */

export interface PageDecision {
  readonly decision: 'approve' | 'reject';
  readonly comment?: string;
}

export interface PageResult {
  readonly status: number;
  readonly body: string;
}

/** The hidden fields of the approval form on a page. */
export function readFormFields(html: string): Record<string, string> {
  const form = /<form[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/i.exec(html)?.[1];
  if (!form)
    throw new Error('The approval page has no form: the request is not pending (or the link is not valid)');
  const fields: Record<string, string> = {};
  for (const [, name = '', value = ''] of form.matchAll(
    /<input type="hidden" name="([^"]+)" value="([^"]*)">/g,
  )) {
    fields[name] = value
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  }
  return fields;
}

export async function decideViaPage(link: string, decision: PageDecision): Promise<PageResult> {
  const url = new URL(link);
  if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') {
    throw new Error(`Refusing to open ${url.origin}: the local runtime only talks to 127.0.0.1`);
  }
  const page = await fetch(url, { headers: { 'user-agent': 'sluice-local-demo' } });
  const html = await page.text();
  if (page.status !== 200) return { status: page.status, body: html };
  const fields = readFormFields(html);
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1] ?? url.pathname;
  const response = await fetch(new URL(action, url.origin), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'sluice-local-demo' },
    body: new URLSearchParams({
      ...fields,
      decision: decision.decision,
      comment: decision.comment ?? '',
    }).toString(),
  });
  return { status: response.status, body: await response.text() };
}
