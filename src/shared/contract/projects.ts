import { z } from 'zod';
import { method } from './define';
import { Empty, Id, Name, Ok, Timestamp } from './common';

export const Project = z.strictObject({
  id: Id,
  name: Name,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  openedAt: Timestamp.nullable(),
  /** Counts for the projects list, so it can say what is inside without opening it. */
  counts: z.strictObject({
    datasets: z.number().int().nonnegative(),
    runs: z.number().int().nonnegative(),
    generations: z.number().int().nonnegative(),
  }),
});
export type Project = z.infer<typeof Project>;

export const projectMethods = {
  'projects.list': method(Empty, z.array(Project), 'All projects, most recently opened first.'),
  'projects.get': method(z.strictObject({ id: Id }), Project, 'One project.'),
  'projects.create': method(z.strictObject({ name: Name }), Project, 'Create a project (names are unique, case-insensitively).'),
  'projects.rename': method(z.strictObject({ id: Id, name: Name }), Project, 'Rename a project.'),
  'projects.open': method(z.strictObject({ id: Id }), Project, 'Mark a project as opened now (orders the list).'),
  'projects.delete': method(
    z.strictObject({ id: Id, confirmName: Name }),
    Ok,
    'Delete a project with everything in it; the caller must repeat its name to confirm.',
  ),
};
