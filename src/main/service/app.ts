import type { Handlers } from './handlers';
import type { ServiceContext } from './context';
import { listSamples } from '../datasets/samples';

export function appHandlers(ctx: ServiceContext): Pick<Handlers, 'app.info'> {
  return {
    'app.info': () => ({
      name: 'Atelier' as const,
      version: ctx.appVersion,
      door: ctx.door,
      dataDir: ctx.dataDir,
      platform: `${process.platform}-${process.arch}`,
      backend: ctx.backend,
      sampleDatasets: listSamples(ctx.resourcesDir)
        .filter((s) => s.role === 'sample')
        .map((s) => ({ id: s.id, name: s.name, count: s.count, attribution: s.attribution })),
    }),
  };
}
