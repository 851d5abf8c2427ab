import type { Handlers } from './handlers';
import type { ServiceContext } from './context';
import { getProject } from '../catalog/projects';
import { listPrompts } from '../catalog/prompts';
import { cancelGenerate, prepareGenerate, reproduceGeneration, startGenerate, waitGenerate } from '../jobs/generate/start';

export function generateHandlers(ctx: ServiceContext): Pick<Handlers, 'generate.start' | 'generate.prepare' | 'generate.wait' | 'generate.cancel' | 'generate.reproduce' | 'prompts.history'> {
  return {
    'generate.start': (req) => {
      getProject(ctx.db, req.projectId);
      return startGenerate(ctx, req);
    },
    'generate.prepare': (req) => {
      getProject(ctx.db, req.projectId);
      prepareGenerate(ctx, req);
      return { ok: true as const };
    },
    'generate.wait': ({ jobId }) => waitGenerate(ctx, jobId),
    'generate.cancel': ({ jobId }) => {
      cancelGenerate(ctx, jobId);
      return { ok: true as const };
    },
    'generate.reproduce': ({ id, backend }) => reproduceGeneration(ctx, id, backend),
    'prompts.history': ({ projectId, query, limit }) => {
      getProject(ctx.db, projectId);
      return listPrompts(ctx.db, projectId, query, limit);
    },
  };
}
