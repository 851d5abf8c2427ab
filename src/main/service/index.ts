import path from 'node:path';
import { z } from 'zod';
import { methods, isMethodName, type MethodName, type Output } from '../../shared/contract';
import { AtelierError, type ErrorPayload } from '../../shared/errors';
import { openCatalog } from '../catalog/db';
import { sweepInterruptedJobs } from '../catalog/jobs';
import { JobRunner } from '../engine/runner';
import { EventBus } from '../engine/events';
import { newJobsState } from '../jobs/context';
import { closeWarmSamplers } from '../jobs/generate/warm';
import type { DesktopBridge, ServiceContext } from './context';
import type { Handlers } from './handlers';
import { appHandlers } from './app';
import { projectHandlers } from './projects';
import { jobHandlers } from './jobs';
import { generateHandlers } from './generate';
import { generateTextHandlers } from './generate-text';
import { galleryHandlers } from './gallery';
import { sweepPendingGenerations } from '../catalog/generations';
import { runHandlers } from './runs';
import { exportHandlers } from './export';
import { datasetHandlers } from './datasets';
import { runEstimateHandlers } from './runs-estimate';
import { resolveHandlers } from './resolve';
import { backupHandlers } from './backup';
import { sweepInterruptedRuns } from '../catalog/runs';
import { appVersion, resourcesDir } from '../files/app-root';
import { diskFullError } from '../files/disk-full';
import { sweepOrphanFiles } from './orphans';

export type { DesktopBridge } from './context';
export { restoreCatalog, runBench, type BenchOptions } from './tools';

export type DispatchResult = { ok: true; value: unknown } | { ok: false; error: ErrorPayload };

export interface Service {
  readonly ctx: ServiceContext;
  readonly events: EventBus;
  /** Validate and run one call from any door. Never throws; errors come back typed. */
  dispatch(method: unknown, input: unknown): Promise<DispatchResult>;
  /** Typed in-process call for the CLI and tests (throws AtelierError). */
  call<M extends MethodName>(method: M, input: unknown): Promise<Output<M>>;
  close(): Promise<void>;
}

export interface ServiceOptions {
  dataDir: string;
  door: ServiceContext['door'];
  resourcesDir?: string;
  /** The browser door's readable folders (`atelier serve --allow-path`); see door-paths.ts. */
  webReadRoots?: string[];
  /** The Electron shell's desktop-only actions (reveal, copy, drag an exported file). */
  desktop?: DesktopBridge;
}

export function createService(options: ServiceOptions): Service {
  const db = openCatalog(options.dataDir);
  const events = new EventBus();
  // Work left running by a process that died (kill -9, crash) is marked interrupted before anyone looks.
  sweepInterruptedJobs(db);
  sweepPendingGenerations(db);
  sweepInterruptedRuns(db);
  // Files no row points to (a process killed between a file and its row): never fatal to startup.
  try {
    sweepOrphanFiles(db, path.resolve(options.dataDir));
  } catch {
    // the next start sweeps again
  }
  const ctx: ServiceContext = {
    db,
    dataDir: path.resolve(options.dataDir),
    appVersion: appVersion(),
    door: options.door,
    events,
    backend: null,
    jobs: new JobRunner(db, events),
    resourcesDir: options.resourcesDir ?? resourcesDir(),
    webReadRoots: options.webReadRoots ?? [],
    ...newJobsState(),
    desktop: options.desktop ?? null,
    exportIo: undefined,
  };
  const handlers: Handlers = {
    ...appHandlers(ctx),
    ...projectHandlers(ctx),
    ...jobHandlers(ctx),
    ...generateHandlers(ctx),
    ...generateTextHandlers(ctx),
    ...galleryHandlers(ctx),
    ...runHandlers(ctx),
    ...datasetHandlers(ctx),
    ...runEstimateHandlers(ctx),
    ...exportHandlers(ctx),
    ...resolveHandlers(ctx),
    ...backupHandlers(ctx),
  };

  async function dispatch(method: unknown, input: unknown): Promise<DispatchResult> {
    try {
      return { ok: true, value: await invoke(method, input) };
    } catch (err) {
      return { ok: false, error: toErrorPayload(err) };
    }
  }

  async function invoke(method: unknown, input: unknown): Promise<unknown> {
    if (!isMethodName(method)) {
      throw new AtelierError('unknown_method', `There is no method called ${JSON.stringify(String(method).slice(0, 80))}.`);
    }
    const def = methods[method];
    const parsed = def.input.safeParse(input ?? {});
    if (!parsed.success) throw new AtelierError('bad_request', describeIssues(method, parsed.error), { issues: parsed.error.issues.slice(0, 10) });
    const handler = handlers[method] as (i: unknown) => unknown;
    const value = await handler(parsed.data);
    // The output schema is the contract's promise to clients; a mismatch is our bug, caught here.
    const checked = def.output.safeParse(value);
    if (!checked.success) {
      throw new AtelierError('internal', `The engine produced an invalid ${method} result: ${z.prettifyError(checked.error).slice(0, 500)}`);
    }
    return checked.data;
  }

  return {
    ctx,
    events,
    dispatch,
    call: async <M extends MethodName>(method: M, input: unknown) => (await invoke(method, input)) as Output<M>,
    close: async () => {
      await ctx.jobs.shutdown();
      await closeWarmSamplers(ctx);
      db.close();
    },
  };
}

function describeIssues(method: string, error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return `Invalid input for ${method}.`;
  const where = first.path.length ? ` at ${first.path.map(String).join('.').slice(0, 80)}` : '';
  return `Invalid input for ${method}${where}: ${first.message.slice(0, 200)}`;
}

export function toErrorPayload(err: unknown): ErrorPayload {
  if (err instanceof AtelierError) return err.toPayload();
  const full = diskFullError(err);
  if (full) return full.toPayload();
  // An unexpected error: keep the message (it helps users report bugs) but not the stack.
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message: `Something went wrong inside Atelier: ${message.slice(0, 500)}` };
}
