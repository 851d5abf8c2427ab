import type { Command } from 'commander';
import { fail, printResult, type GlobalOptions } from './output';
import { withService } from './context';
import { containedPath } from '../files/contain';

export function registerGalleryCommands(program: Command, globals: () => GlobalOptions): void {
  const gallery = program.command('gallery').description('Search and curate generated images.');

  gallery
    .command('search')
    .argument('[query]', 'words to find in prompts, tags, labels and model names (empty: everything)', '')
    .option('--project <project>', 'project id or name (default: every project)')
    .option('--starred', 'only starred')
    .option('--trashed', 'search the trash')
    .option('--limit <n>', 'at most n results', '100')
    .description('Full-text search over generations (JSON: {"total","items":[{"id","projectId","file","prompt","seed",…}]}).')
    .action(async (query: string, flags: { project?: string; starred?: boolean; trashed?: boolean; limit: string }) => {
      const opts = globals();
      try {
        const result = await withService(opts, async (s) => {
          const projects = flags.project ? [await s.call('projects.resolve', { ref: flags.project })] : await s.call('projects.list', {});
          const { dataDir } = await s.call('app.info', {});
          const limit = Math.max(1, Math.min(1000, Number(flags.limit) || 100));
          let total = 0;
          const items: Array<Record<string, unknown>> = [];
          for (const p of projects) {
            const page = await s.call('gallery.list', { projectId: p.id, query, starred: flags.starred ? true : undefined, trashed: flags.trashed ?? false, limit });
            total += page.total;
            for (const it of page.items) {
              if (items.length >= limit) break;
              const g = await s.call('gallery.get', { id: it.id });
              items.push({
                id: g.id,
                projectId: g.projectId,
                file: g.file ? containedPath(dataDir, g.file) : null,
                prompt: g.prompt,
                seed: g.seed,
                model: g.modelName,
                step: g.step,
                starred: g.starred,
                tags: g.tags,
              });
            }
          }
          return { total, items };
        });
        printResult(opts, result, () =>
          result.items.length === 0
            ? 'Nothing found.'
            : [`${result.total} found`, ...result.items.map((i) => `${String(i.id).padStart(6)}  seed ${i.seed}  ${i.model ?? '?'}  ${i.prompt ? `"${String(i.prompt)}"` : ''}  ${i.file}`)].join('\n'),
        );
      } catch (err) {
        fail(err, opts);
      }
    });

  for (const [name, method, desc] of [
    ['star', 'star', 'Star generations.'],
    ['unstar', 'unstar', 'Unstar generations.'],
    ['trash', 'trash', 'Move generations to the trash.'],
    ['restore', 'restore', 'Bring generations back from the trash.'],
  ] as const) {
    gallery
      .command(name)
      .argument('<ids...>', 'generation ids')
      .description(desc)
      .action(async (ids: string[]) => {
        const opts = globals();
        try {
          const list = ids.map(Number);
          await withService(opts, (s) =>
            method === 'star' || method === 'unstar'
              ? s.call('gallery.star', { ids: list, starred: method === 'star' })
              : s.call(method === 'trash' ? 'gallery.trash' : 'gallery.restore', { ids: list }),
          );
          printResult(opts, { ok: true, ids: list }, () => `${desc.replace(/\.$/, '')}: ${list.join(', ')}`);
        } catch (err) {
          fail(err, opts);
        }
      });
  }

  gallery
    .command('empty-trash')
    .requiredOption('--project <project>', 'project id or name')
    .description('Delete the trashed generations of a project and their files.')
    .action(async (flags: { project: string }) => {
      const opts = globals();
      try {
        const r = await withService(opts, async (s) => s.call('gallery.emptyTrash', { projectId: (await s.call('projects.resolve', { ref: flags.project })).id }));
        printResult(opts, r, () => `Removed ${r.removed} generations.`);
      } catch (err) {
        fail(err, opts);
      }
    });
}
