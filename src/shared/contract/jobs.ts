import { z } from 'zod';
import { method } from './define';
import { Id, Ok, Timestamp } from './common';

export const JobStatus = z.enum(['queued', 'running', 'paused', 'interrupted', 'done', 'failed', 'cancelled', 'diverged']);
export type JobStatus = z.infer<typeof JobStatus>;

export const Job = z.strictObject({
  id: Id,
  projectId: Id.nullable(),
  kind: z.string(),
  status: JobStatus,
  done: z.number(),
  total: z.number().nullable(),
  message: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: Timestamp,
  endedAt: Timestamp.nullable(),
});
export type Job = z.infer<typeof Job>;

export const jobMethods = {
  'jobs.list': method(
    z.strictObject({ projectId: Id.optional(), active: z.boolean().optional() }),
    z.array(Job),
    'Recent jobs (imports, training, sampling, exports), newest first.',
  ),
  'jobs.control': method(
    z.strictObject({ id: Id, action: z.enum(['pause', 'resume', 'cancel', 'stop']) }),
    Ok,
    'Pause, resume or cancel a running job, or stop it at its next safe point keeping what it did (a run saves a checkpoint and can resume; an import keeps its items).',
  ),
  'jobs.wait': method(z.strictObject({ id: Id }), Job, 'Wait for a job of this Atelier to end (at once for one that already ended) and return it.'),
};
