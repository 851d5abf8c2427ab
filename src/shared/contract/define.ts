import type { z } from 'zod';

/**
 * A method of the contract: a runtime schema for what a caller may send and for what comes back.
 * Inputs are `strictObject`s so an extra key is a `bad_request`, never silently ignored.
 */
export interface MethodDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  input: I;
  output: O;
  /** One line for docs, `--help` and the fuzz report. */
  summary: string;
}

export function method<I extends z.ZodType, O extends z.ZodType>(
  input: I,
  output: O,
  summary: string,
): MethodDef<I, O> {
  return { input, output, summary };
}
