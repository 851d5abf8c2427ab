/** Run `fn` over ids in chunks of 500, with their placeholders: SQLite bounds a statement's parameters. */
export function chunked(ids: number[], fn: (chunk: number[], marks: string) => void): void {
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    fn(chunk, chunk.map(() => '?').join(','));
  }
}
