import type { Command } from 'commander';
import { fail, printResult, type GlobalOptions } from './output';
import { withService } from './context';
import type { Project } from '../../shared/contract';

export function registerProjectCommands(program: Command, globals: () => GlobalOptions): void {
  const projects = program.command('projects').description('Create, list, rename and delete projects.');

  projects
    .command('list')
    .description('List projects (JSON: an array of {"id","name"}).')
    .action(async () => {
      const opts = globals();
      try {
        const list = await withService(opts, (s) => s.call('projects.list', {}));
        printResult(
          opts,
          list.map((p) => ({ id: p.id, name: p.name })),
          () => (list.length === 0 ? 'No projects yet.' : list.map(describe).join('\n')),
        );
      } catch (err) {
        fail(err, opts);
      }
    });

  projects
    .command('create')
    .argument('<name>', 'project name')
    .description('Create a project (JSON: {"id","name"}).')
    .action(async (name: string) => {
      const opts = globals();
      try {
        const p = await withService(opts, (s) => s.call('projects.create', { name }));
        printResult(opts, { id: p.id, name: p.name }, () => `Created project ${p.id}: ${p.name}`);
      } catch (err) {
        fail(err, opts);
      }
    });

  projects
    .command('rename')
    .argument('<id>', 'project id')
    .argument('<name>', 'new name')
    .description('Rename a project.')
    .action(async (id: string, name: string) => {
      const opts = globals();
      try {
        const p = await withService(opts, (s) => s.call('projects.rename', { id: Number(id), name }));
        printResult(opts, { id: p.id, name: p.name }, () => `Renamed project ${p.id} to ${p.name}`);
      } catch (err) {
        fail(err, opts);
      }
    });

  projects
    .command('delete')
    .argument('<id>', 'project id')
    .requiredOption('--confirm <name>', "the project's exact name, to confirm")
    .description('Delete a project and everything in it.')
    .action(async (id: string, cmd: { confirm: string }) => {
      const opts = globals();
      try {
        await withService(opts, (s) => s.call('projects.delete', { id: Number(id), confirmName: cmd.confirm }));
        printResult(opts, { ok: true, id: Number(id) }, () => `Deleted project ${id}.`);
      } catch (err) {
        fail(err, opts);
      }
    });
}

function describe(p: Project): string {
  return `${String(p.id).padStart(4)}  ${p.name}  (${p.counts.datasets} datasets, ${p.counts.runs} runs, ${p.counts.generations} generations)`;
}
