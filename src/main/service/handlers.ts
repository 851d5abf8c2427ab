import type { MethodName, Output, ParsedInput } from '../../shared/contract';

/** The service: one function per contract method, receiving already-validated input. */
export type Handlers = {
  [M in MethodName]: (input: ParsedInput<M>) => Output<M> | Promise<Output<M>>;
};
