import type { Command } from 'commander';
import { fail, printResult, progressBar, type GlobalOptions } from './output';
import { openService } from './context';
import { AtelierError } from '../../shared/errors';
import type { EventPayload } from '../../shared/events';
import type { ImportReport } from '../../shared/contract';

interface ImportFlags {
  project?: string;
  dataset?: string;
  text?: boolean;
}

export function registerImportCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('import')
    .argument('<paths...>', 'folders (first-level subfolder = label), image or text files, zip archives')
    .description(
      'Import files into a dataset. JSON: {"datasetId","imported","duplicates","skipped":[{"path","reason"}], …}. ' +
        'Files that cannot be imported are listed with their reason; the rest imports. Run it again after an interruption to finish.',
    )
    .option('--project <project>', 'project id or name')
    .option('--dataset <dataset>', 'dataset id or name: added to if it exists, created otherwise (default: a new dataset named after the first path)')
    .option('--text', 'make a text dataset (.txt, .md, .csv) for the text generators; text files alone become one without it')
    .action(async (paths: string[], flags: ImportFlags) => {
      const opts = globals();
      const service = openService(opts);
      try {
        if (!flags.project) throw new AtelierError('bad_request', 'Say which project to import into with --project.');
        const project = await service.call('projects.resolve', { ref: flags.project });
        const existing = flags.dataset ? await service.call('datasets.resolve', { projectId: project.id, ref: flags.dataset }) : null;
        const input = {
          projectId: project.id,
          paths,
          ...(existing ? { datasetId: existing.id } : flags.dataset ? { name: flags.dataset } : {}),
          ...(flags.text ? { kind: 'text' as const } : {}),
        };
        const started = await service.call('datasets.import', input);
        const bar = progressBar(opts);
        const off = service.events.onAny((event, payload) => {
          const e = payload as EventPayload<'job.progress'>;
          if (event === 'job.progress' && e.jobId === started.jobId) bar(e.done, e.total, 'importing');
        });
        // Ctrl-C: stop between files; what was imported stays, a re-run finishes the rest.
        const onSigint = () => void service.call('jobs.control', { id: started.jobId, action: 'stop' }).catch(() => {});
        process.once('SIGINT', onSigint);
        const outcome = await service.call('jobs.wait', { id: started.jobId });
        process.off('SIGINT', onSigint);
        off();
        const report = await service.call('datasets.importReport', { jobId: started.jobId });
        if (!report) throw new AtelierError('internal', 'The import ended without a report.');
        const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
        const kind = (await service.call('datasets.get', { id: report.datasetId })).kind;
        const out = {
          datasetId: report.datasetId,
          kind,
          imported: report.imported,
          duplicates: report.duplicates,
          skipped: report.skipped.map((s) => ({ path: s.path, reason: s.reason, detail: s.detail, ...(s.technical ? { technical: s.technical } : {}) })),
          alreadyPresent: report.alreadyPresent,
          nearDuplicates: report.nearDuplicates,
          warnings: report.warnings,
          status: report.status,
          jobId: report.jobId,
          elapsedMs: report.elapsedMs,
          peakRssMb,
        };
        printResult(opts, out, () => humanReport(report, kind));
        await service.close();
        process.exit(outcome.status === 'done' ? 0 : 1);
      } catch (err) {
        await service.close().catch(() => {});
        fail(err, opts);
      }
    });
}

/** Lines of a list, at most `max`, then how many more there are (the JSON output has them all). */
function capped<T>(items: T[], max: number, line: (x: T) => string, what: string): string[] {
  const shown = items.slice(0, max).map(line);
  if (items.length > max) shown.push(`  … and ${items.length - max} more ${what} (--json lists them all)`);
  return shown;
}

/** The import report for a person: a summary, then what needs a look, each list capped. */
export function humanReport(report: ImportReport, kind: 'image' | 'text'): string {
  const n = report.imported;
  const items = kind === 'text' ? (n === 1 ? 'text file' : 'text files') : n === 1 ? 'image' : 'images';
  return [
    `Dataset ${report.datasetId} (${kind}): ${n} ${items} imported, ${report.duplicates} duplicates merged, ${report.alreadyPresent} already there, ${report.skipped.length} skipped (${report.status}).`,
    ...capped(report.skipped, 50, (s) => `  skipped ${s.path}: ${s.detail}`, 'skipped files'),
    ...capped(report.nearDuplicates, 10, (n) => `  near-duplicate: ${n.a} ≈ ${n.b} (distance ${n.distance})`, 'near-duplicate pairs'),
    ...capped(report.warnings, 20, (w) => `  note${w.path ? ` ${w.path}` : ''}: ${w.message}`, 'notes'),
  ].join('\n');
}
