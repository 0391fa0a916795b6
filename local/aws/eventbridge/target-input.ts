/**
 * What a rule's target receives: the matched event, or the target's Input (constant JSON), InputPath (a part of
 * the event) or InputTransformer (InputPathsMap + InputTemplate), as EventBridge's "input transformation" page
 * and the API reference (Target, InputTransformer) document them. Pure: no SDK, no I/O.
 *
 * Template rules, documented and as AWS answers them:
 * - A template starting with `{` is JSON. A placeholder in a value position is replaced by the value's JSON
 *   (a string gets its quotes); inside a quoted string by the value's text, unescaped. A path that names nothing
 *   gives an empty string. A placeholder may not be an object key. The result must be valid JSON, or the event is
 *   not delivered.
 * - Any other template is text (one or more quoted lines); objects and arrays inside it lose their quotes.
 * - Reserved placeholders: `aws.events.rule-arn`, `aws.events.rule-name`, `aws.events.event.ingestion-time`, and,
 *   only as a JSON value, `aws.events.event` (the event without `detail`) and `aws.events.event.json` (all of it).
 */

import { defined } from '../../../lambdas/core/defined';
import { type JsonPath, parseJsonPath } from './json-path';

export interface InputTransformer {
  /** Variable → JSON path into the matched event. At most 100. */
  readonly InputPathsMap?: Readonly<Record<string, string>>;
  readonly InputTemplate: string;
}

/** The input fields of an AWS::Events::Rule Target (at most one of them). */
export interface TargetInputSpec {
  readonly Input?: string;
  readonly InputPath?: string;
  readonly InputTransformer?: InputTransformer;
}

/** The rule a delivery comes from, for the reserved placeholders. */
export interface DeliveryContext {
  readonly ruleArn: string;
  readonly ruleName: string;
  /** When the bus received the event (ISO 8601). */
  readonly ingestionTime: string;
}

/** PutTargets' ValidationException: the target's input settings are refused. */
export class InvalidTargetInputError extends Error {
  override readonly name = 'InvalidTargetInputError';
}

/** The event matched, but what the target would receive cannot be built: EventBridge does not deliver it. */
export class InputTransformationError extends Error {
  override readonly name = 'InputTransformationError';
}

/** Builds the text a target receives for a matched event. */
export interface TargetInput {
  payload(event: Readonly<Record<string, unknown>>, context: DeliveryContext): string;
}

const MAX_VARIABLES = 100;
const MAX_TEMPLATE_LENGTH = 8192;
const STRING_RESERVED = ['aws.events.rule-arn', 'aws.events.rule-name', 'aws.events.event.ingestion-time'];
const JSON_RESERVED = ['aws.events.event', 'aws.events.event.json'];
const RESERVED = new Set([...STRING_RESERVED, ...JSON_RESERVED]);

export function compileTargetInput(targetId: string, spec: TargetInputSpec): TargetInput {
  const given = (['Input', 'InputPath', 'InputTransformer'] as const).filter((k) => spec[k] !== undefined);
  if (given.length > 1) {
    throw new InvalidTargetInputError(
      `Only one of Input, InputPath, or InputTransformer must be provided for target ${targetId}; received ${given.join(', ')}.`,
    );
  }
  if (spec.Input !== undefined) {
    let constant: string;
    try {
      constant = JSON.stringify(JSON.parse(spec.Input));
    } catch {
      throw new InvalidTargetInputError(`Input for target ${targetId} is not valid JSON.`);
    }
    return { payload: () => constant };
  }
  if (spec.InputPath !== undefined) {
    const path = jsonPath(targetId, spec.InputPath);
    return {
      payload: (event) => {
        const selected = path.select(event);
        // Not documented: locally a path that names nothing fails the delivery rather than guessing a value.
        if (selected.length === 0 && !path.wildcard) {
          throw new InputTransformationError(
            `InputPath ${path.text} of target ${targetId} names nothing in the event`,
          );
        }
        return JSON.stringify(path.wildcard ? selected : selected[0]);
      },
    };
  }
  if (spec.InputTransformer !== undefined) return compileTransformer(targetId, spec.InputTransformer);
  return { payload: (event) => JSON.stringify(event) };
}

function jsonPath(targetId: string, text: string): JsonPath {
  try {
    return parseJsonPath(text);
  } catch (error) {
    throw new InvalidTargetInputError(`Target ${targetId}: ${(error as Error).message}`);
  }
}

interface Placeholder {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  /** Inside a quoted string of the template, or in a value position. */
  readonly quoted: boolean;
}

/** The template's `<name>` placeholders, and whether each sits inside a quoted string. */
function placeholdersOf(template: string): Placeholder[] {
  const found: Placeholder[] = [];
  let quoted = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c === '\\' && quoted) {
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (c === '<') {
      const match = /^<([^<>]+)>/.exec(template.slice(i));
      if (match) {
        found.push({
          name: defined(match[1], 'the placeholder name'),
          start: i,
          end: i + match[0].length,
          quoted,
        });
        i += match[0].length - 1;
      }
    }
  }
  return found;
}

function compileTransformer(targetId: string, transformer: InputTransformer): TargetInput {
  const template = transformer.InputTemplate;
  if (typeof template !== 'string' || template.length === 0 || template.length > MAX_TEMPLATE_LENGTH) {
    throw new InvalidTargetInputError(
      `InputTemplate for target ${targetId} must be 1 to ${MAX_TEMPLATE_LENGTH} characters.`,
    );
  }
  const entries = Object.entries(transformer.InputPathsMap ?? {});
  if (entries.length > MAX_VARIABLES) {
    throw new InvalidTargetInputError(
      `InputPathsMap for target ${targetId} has ${entries.length} variables; at most ${MAX_VARIABLES}.`,
    );
  }
  const paths = new Map<string, JsonPath>();
  for (const [name, path] of entries) {
    if (name === '' || RESERVED.has(name) || name.toUpperCase().startsWith('AWS.')) {
      throw new InvalidTargetInputError(
        `InputPathsMap for target ${targetId} cannot define ${JSON.stringify(name)}: names starting with "AWS." are reserved.`,
      );
    }
    paths.set(name, jsonPath(targetId, path));
  }
  const isJson = template.trimStart().startsWith('{');
  const placeholders = placeholdersOf(template);
  for (const p of placeholders) {
    if (!paths.has(p.name) && !RESERVED.has(p.name)) {
      throw new InvalidTargetInputError(
        `InputTemplate for target ${targetId} contains invalid placeholder ${p.name}.`,
      );
    }
    if (JSON_RESERVED.includes(p.name) && (p.quoted || !isJson)) {
      throw new InvalidTargetInputError(
        `InputTemplate for target ${targetId}: <${p.name}> can only be the value of a JSON field (it is not escaped).`,
      );
    }
    if (isJson && !p.quoted && /^\s*:/.test(template.slice(p.end))) {
      throw new InvalidTargetInputError(
        `InputTemplate for target ${targetId} uses <${p.name}> as an object key; a placeholder cannot be a key.`,
      );
    }
  }

  return {
    payload: (event, context) => {
      const lookup = (name: string): { found: boolean; value?: unknown } => {
        switch (name) {
          case 'aws.events.rule-arn':
            return { found: true, value: context.ruleArn };
          case 'aws.events.rule-name':
            return { found: true, value: context.ruleName };
          case 'aws.events.event.ingestion-time':
            return { found: true, value: context.ingestionTime };
          case 'aws.events.event':
            return { found: true, value: eventWithoutDetail(event) };
          case 'aws.events.event.json':
            return { found: true, value: event };
        }
        const path = paths.get(name) as JsonPath;
        const selected = path.select(event);
        if (path.wildcard) return { found: true, value: selected };
        return selected.length > 0 ? { found: true, value: selected[0] } : { found: false };
      };
      let out = '';
      let at = 0;
      for (const p of placeholders) {
        out += template.slice(at, p.start) + render(lookup(p.name), p.quoted, isJson);
        at = p.end;
      }
      out += template.slice(at);
      if (!isJson) return out;
      try {
        return JSON.stringify(JSON.parse(out));
      } catch {
        throw new InputTransformationError(
          `The input transformer of target ${targetId} produced text that is not valid JSON, so EventBridge does not deliver it: ${out.slice(0, 300)}`,
        );
      }
    },
  };
}

function render(resolved: { found: boolean; value?: unknown }, quoted: boolean, isJson: boolean): string {
  if (!resolved.found) return quoted ? '' : '""';
  const value = resolved.value;
  if (!quoted) return JSON.stringify(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    // Unescaped: inside a JSON template this breaks the JSON; a text template shows it without its quotes.
    return isJson ? JSON.stringify(value) : JSON.stringify(value).replaceAll('"', '');
  }
  return String(value);
}

/** `<aws.events.event>`: the event's envelope without `detail`, `detail-type` spelled `detailType` as AWS sends it. */
function eventWithoutDetail(event: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const envelope: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) {
    if (key === 'detail') continue;
    envelope[key === 'detail-type' ? 'detailType' : key] = value;
  }
  return envelope;
}
