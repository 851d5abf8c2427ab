/**
 * The one contract between the studio's doors (Electron IPC, web host, CLI) and the engine.
 * Each capability declares its methods in its own file; this file only merges them.
 */
import type { z } from 'zod';
import type { MethodDef } from './define';
import { appMethods } from './app';
import { projectMethods } from './projects';
import { jobMethods } from './jobs';
import { generateMethods } from './generate';
import { generateTextMethods } from './generate-text';
import { galleryMethods } from './gallery';
import { runMethods } from './runs';
import { exportMethods } from './export';
import { runEstimateMethods } from './runs-estimate';
import { datasetMethods } from './datasets';
import { resolveMethods } from './resolve';
import { backupMethods } from './backup';

export const methods = {
  ...appMethods,
  ...projectMethods,
  ...jobMethods,
  ...generateMethods,
  ...generateTextMethods,
  ...galleryMethods,
  ...runMethods,
  ...runEstimateMethods,
  ...datasetMethods,
  ...exportMethods,
  ...resolveMethods,
  ...backupMethods,
} satisfies Record<string, MethodDef>;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
/** What a caller passes (defaults may be omitted). */
export type Input<M extends MethodName> = z.input<Methods[M]['input']>;
/** What the engine receives after validation (defaults applied). */
export type ParsedInput<M extends MethodName> = z.output<Methods[M]['input']>;
export type Output<M extends MethodName> = z.output<Methods[M]['output']>;

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(methods, name);
}

export * from './common';
export * from './app';
export * from './projects';
export * from './jobs';
export * from './generate';
export * from './generate-text';
export * from './gallery';
export * from './runs';
export * from './runs-estimate';
export * from './datasets';
export * from './export';
export * from './resolve';
export * from './backup';
export type { MethodDef } from './define';
