/**
 * Greeter: a Lambda Function URL handler (payload format 2.0).
 * GET /?name=Ada&lang=fr answers {"message":"Bonjour, Ada!"}. Only node: built-ins, so the bundle is this file alone.
 */

export interface FunctionUrlEvent {
  readonly rawPath?: string;
  readonly rawQueryString?: string;
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>>;
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly requestContext?: { readonly http?: { readonly method?: string } };
}

export interface FunctionUrlResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const MAX_NAME_LENGTH = 40;

export const GREETINGS: Readonly<Record<string, string>> = {
  en: 'Hello',
  fr: 'Bonjour',
  es: 'Hola',
  de: 'Hallo',
};

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): FunctionUrlResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

function queryParam(event: FunctionUrlEvent, name: string): string | undefined {
  return (
    event.queryStringParameters?.[name] ??
    new URLSearchParams(event.rawQueryString ?? '').get(name) ??
    undefined
  );
}

export async function handler(event: FunctionUrlEvent): Promise<FunctionUrlResult> {
  const method = event.requestContext?.http?.method ?? 'GET';
  const path = event.rawPath ?? '/';
  if (path !== '/') return json(404, { error: `no route for ${path}` });
  if (method !== 'GET' && method !== 'HEAD')
    return json(405, { error: `use GET, not ${method}` }, { allow: 'GET, HEAD' });
  const name = (queryParam(event, 'name') ?? '').trim() || 'world';
  if (name.length > MAX_NAME_LENGTH) {
    return json(400, { error: `name is too long: use at most ${MAX_NAME_LENGTH} characters` });
  }
  const lang = (queryParam(event, 'lang') ?? 'en').toLowerCase();
  const greeting = Object.hasOwn(GREETINGS, lang) ? GREETINGS[lang] : undefined;
  if (greeting === undefined) {
    return json(400, {
      error: `unsupported lang ${JSON.stringify(lang)}: use one of ${Object.keys(GREETINGS).join(', ')}`,
    });
  }
  return json(200, { message: `${greeting}, ${name}!`, lang });
}
