import type { EngineContext } from '../engine/context';
import type { RunPhase } from '../../shared/contract';
import type { GenerateJobState } from './generate/start';
import type { WarmSampler } from './generate/warm';

/**
 * The engine context with what the job kinds keep per engine. It lives here, not in module-level maps,
 * so it goes with the service that made it (two services in one process, as tests open, never mix).
 */
export interface JobsContext extends EngineContext {
  /** What each running run is doing between steps (see RunPhase), for views that open late. */
  runPhases: Map<number, RunPhase>;
  /** This process's generate jobs and what each made so far (generate.wait reads them). */
  generateJobs: Map<number, GenerateJobState>;
  /** The warm sampler workers, one per backend choice (generate/warm.ts); ended when the service closes. */
  warmSamplers: Map<string, WarmSampler>;
}

/** The job kinds' state of a new engine (createService). */
export function newJobsState(): Pick<JobsContext, 'runPhases' | 'generateJobs' | 'warmSamplers'> {
  return { runPhases: new Map(), generateJobs: new Map(), warmSamplers: new Map() };
}
