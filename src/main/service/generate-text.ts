import type { Handlers } from './handlers';
import type { ServiceContext } from './context';
import { getProject } from '../catalog/projects';
import { generateTexts, suggestTexts } from '../jobs/text-generate/start';

export function generateTextHandlers(ctx: ServiceContext): Pick<Handlers, 'generate.text' | 'text.suggest'> {
  return {
    'generate.text': (req) => {
      getProject(ctx.db, req.projectId);
      return generateTexts(ctx, req);
    },
    'text.suggest': (req) => {
      getProject(ctx.db, req.projectId);
      return suggestTexts(ctx, req);
    },
  };
}
