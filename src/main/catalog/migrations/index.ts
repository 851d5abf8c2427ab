import type { Migration } from './types';
import { initial } from './001-initial';

/** In order; versions are 1..N with no gaps (checked at open). */
export const MIGRATIONS: readonly Migration[] = [initial];
