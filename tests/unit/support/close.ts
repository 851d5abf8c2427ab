import { afterEach } from 'vitest';

interface Closable {
  close(): Promise<void>;
}

const opened: Closable[] = [];

/** Closes `x` after the current test, the last opened first (a web host before its service). Returns `x`. */
export function closeAfterTest<T extends Closable>(x: T): T {
  opened.push(x);
  return x;
}

afterEach(async () => {
  for (const x of opened.splice(0).reverse()) await x.close();
});
