import type { Command } from 'commander';
import { fail, printResult, type GlobalOptions } from './output';
import { withService } from './context';
import { AtelierError } from '../../shared/errors';
import type { Dataset } from '../../shared/contract';

function summary(d: Dataset) {
  return { id: d.id, name: d.name, kind: d.kind, itemCount: d.itemCount, labels: d.labels, source: d.source, attribution: d.attribution };
}

function describe(d: Dataset): string {
  const labels = d.labels.map((l) => `${l.name} ${l.count}`).join(', ');
  return `${String(d.id).padStart(4)}  ${d.name}  (${d.kind}, ${d.itemCount} items${labels ? `: ${labels}` : ''})`;
}

export function registerDatasetCommands(program: Command, globals: () => GlobalOptions): void {
  const datasets = program.command('datasets').description('List, inspect and delete datasets; add the built-in sample.');

  datasets
    .command('list')
    .requiredOption('--project <project>', 'project id or name')
    .description('Datasets of a project (JSON: an array of {"id","name","kind","itemCount","labels",…}).')
    .action(async (flags: { project: string }) => {
      const opts = globals();
      try {
        const list = await withService(opts, async (s) => s.call('datasets.list', { projectId: (await s.call('projects.resolve', { ref: flags.project })).id }));
        printResult(opts, list.map(summary), () => (list.length === 0 ? 'No datasets yet.' : list.map(describe).join('\n')));
      } catch (err) {
        fail(err, opts);
      }
    });

  datasets
    .command('show')
    .argument('[dataset]', 'dataset id or name (default: the only one)')
    .requiredOption('--project <project>', 'project id or name')
    .description('One dataset with its settings and latest import report.')
    .action(async (ref: string | undefined, flags: { project: string }) => {
      const opts = globals();
      try {
        const out = await withService(opts, async (s) => {
          const project = await s.call('projects.resolve', { ref: flags.project });
          let d: Dataset | null;
          if (ref) d = await s.call('datasets.resolve', { projectId: project.id, ref });
          else {
            const all = await s.call('datasets.list', { projectId: project.id });
            if (all.length > 1) throw new AtelierError('bad_request', `Project "${project.name}" has ${all.length} datasets; name one.`);
            d = all[0] ?? null;
          }
          if (!d) throw new AtelierError('not_found', `Project "${project.name}" has no dataset${ref ? ` "${ref}"` : ''}.`);
          const lastImport = await s.call('datasets.importReport', { datasetId: d.id });
          return { ...d, lastImport };
        });
        printResult(opts, out, () =>
          [
            describe(out),
            `  prepare: ${JSON.stringify(out.prepare)}`,
            `  augment: ${JSON.stringify(out.augment)}`,
            out.attribution ? `  attribution: ${out.attribution}` : '',
            out.lastImport ? `  last import: ${out.lastImport.imported} imported, ${out.lastImport.skipped.length} skipped (${out.lastImport.status})` : '',
          ]
            .filter(Boolean)
            .join('\n'),
        );
      } catch (err) {
        fail(err, opts);
      }
    });

  datasets
    .command('add-sample')
    .requiredOption('--project <project>', 'project id or name')
    .option('--sample <id>', 'sample id (see "atelier datasets samples")', 'twemoji-faces-animals-food')
    .description('Copy a built-in sample into the project as a dataset (JSON: {"datasetId","name","itemCount","labels","attribution"}).')
    .action(async (flags: { project: string; sample: string }) => {
      const opts = globals();
      try {
        const d = await withService(opts, async (s) => s.call('datasets.addSample', { projectId: (await s.call('projects.resolve', { ref: flags.project })).id, sampleId: flags.sample }));
        printResult(opts, { datasetId: d.id, name: d.name, itemCount: d.itemCount, labels: d.labels, attribution: d.attribution }, () => `${describe(d)}\n  ${d.attribution ?? ''}`);
      } catch (err) {
        fail(err, opts);
      }
    });

  datasets
    .command('samples')
    .description('The built-in sample datasets.')
    .action(async () => {
      const opts = globals();
      try {
        const list = await withService(opts, (s) => s.call('datasets.samples', {}));
        printResult(opts, list, () => list.map((x) => `${x.id}  ${x.name} (${x.kind}, ${x.count})`).join('\n'));
      } catch (err) {
        fail(err, opts);
      }
    });

  datasets
    .command('delete')
    .argument('<dataset>', 'dataset id or name')
    .requiredOption('--project <project>', 'project id or name')
    .description('Delete a dataset, its items and the files no other dataset uses.')
    .action(async (ref: string, flags: { project: string }) => {
      const opts = globals();
      try {
        const id = await withService(opts, async (s) => {
          const project = await s.call('projects.resolve', { ref: flags.project });
          const d = await s.call('datasets.resolve', { projectId: project.id, ref });
          if (!d) throw new AtelierError('not_found', `Project "${project.name}" has no dataset "${ref}".`);
          await s.call('datasets.delete', { id: d.id });
          return d.id;
        });
        printResult(opts, { ok: true, id }, () => `Deleted dataset ${id}.`);
      } catch (err) {
        fail(err, opts);
      }
    });
}
