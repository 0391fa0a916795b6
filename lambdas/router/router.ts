/**
 * The router: one EventBridge target for CodeCommit state changes and Sluice's normalized push events.
 * It maps the push to services (repository + branch + path globs) and starts one execution per service,
 * named `<service>-<sha12>`, so a repeated delivery of the same push starts nothing new.
 */

import type { Ports } from '../core/ports';
import {
  candidateServices,
  isIgnored,
  pathFiltersOf,
  pushFromEvent,
  type RouterEvent,
  releaseRequestOf,
  routePush,
} from '../core/push-routing';

export type RouterPorts = Pick<Ports, 'catalog' | 'source' | 'executions'>;

export interface RoutedRelease {
  readonly service: string;
  readonly releaseId: string;
  readonly status: 'started' | 'duplicate';
}

export interface RouteOutcome {
  /** One entry per service the push releases; empty when it releases none. */
  readonly releases: readonly RoutedRelease[];
  /** Why nothing was released (an untracked branch, an unknown repository, a tag, untouched paths…). */
  readonly ignored?: string;
}

/** Some executions could not be started; the others were. A retry of the event is safe (names are deterministic). */
export class StartExecutionFailedError extends Error {
  override readonly name = 'StartExecutionFailedError';
}

export async function routeEvent(event: RouterEvent, ports: RouterPorts): Promise<RouteOutcome> {
  const push = pushFromEvent(event);
  if (isIgnored(push)) return { releases: [], ignored: push.ignored };
  const catalog = await ports.catalog.load();

  // CodeCommit events carry no file list: ask the repository, but only when a candidate filters by path.
  let changed = push.changedPaths;
  const candidates = candidateServices(catalog, push);
  const first = candidates[0];
  if (changed === undefined && first && candidates.some((s) => pathFiltersOf(s.source) !== undefined)) {
    changed = await ports.source.changedPaths(first.source, push.before, push.after);
  }
  const route = routePush(catalog, push, changed);
  if (route.services.length === 0) return { releases: [], ignored: route.reason };

  const results = await Promise.allSettled(
    route.services.map(async (service): Promise<RoutedRelease> => {
      const request = releaseRequestOf(service, push);
      const { status } = await ports.executions.start(request);
      return { service: service.name, releaseId: request.releaseId, status };
    }),
  );
  const failed = results.flatMap((r, i) =>
    r.status === 'rejected' ? [{ service: route.services[i]?.name, reason: r.reason as unknown }] : [],
  );
  if (failed[0]) {
    const detail = failed
      .map(
        ({ service, reason }) => `${service}: ${reason instanceof Error ? reason.message : String(reason)}`,
      )
      .join('; ');
    throw new StartExecutionFailedError(
      `Could not start ${failed.length} of ${results.length} releases for ${push.repository} ${push.branch}@${push.after.slice(0, 12)} (${detail}); ` +
        'the event is retried, and releases already started are not started twice.',
      { cause: failed[0].reason },
    );
  }
  return { releases: results.map((r) => (r as PromiseFulfilledResult<RoutedRelease>).value) };
}
