/** Prompt history: every prompt used in Create, with the settings it was used with; searchable. */
import type { Db } from './db';
import type { PromptHistoryEntry } from '../../shared/contract';

interface Raw {
  id: number;
  model_id: number | null;
  prompt: string;
  params_json: string;
  used_at: number;
  uses: number;
}

/**
 * Record a use. The same prompt text (per project and model) is one entry that moves to the top, so
 * the history reads as "what I used lately", not a log of every click.
 */
export function recordPrompt(db: Db, projectId: number, modelId: number | null, prompt: string, params: Record<string, unknown>, now = Date.now()): number {
  return db.transaction(() => {
    const existing = db
      .prepare('SELECT id FROM prompt_history WHERE project_id = ? AND model_id IS ? AND prompt = ? ORDER BY used_at DESC LIMIT 1')
      .get(projectId, modelId, prompt) as { id: number } | undefined;
    if (existing) {
      const old = db.prepare('SELECT params_json FROM prompt_history WHERE id = ?').get(existing.id) as { params_json: string };
      const uses = Number((JSON.parse(old.params_json) as { uses?: number }).uses ?? 1) + 1;
      db.prepare('UPDATE prompt_history SET params_json = ?, used_at = ? WHERE id = ?').run(JSON.stringify({ ...params, uses }), now, existing.id);
      return existing.id;
    }
    return Number(
      db.prepare('INSERT INTO prompt_history (project_id, model_id, prompt, params_json, used_at) VALUES (?, ?, ?, ?, ?)').run(projectId, modelId, prompt, JSON.stringify({ ...params, uses: 1 }), now)
        .lastInsertRowid,
    );
  })();
}

/** Most recent first; `query` keeps entries whose prompt contains every word of it (case-insensitive). */
export function listPrompts(db: Db, projectId: number, query: string, limit: number): PromptHistoryEntry[] {
  const words = query.toLowerCase().match(/[\p{L}\p{N}.:]+/gu) ?? [];
  const conds = ['project_id = ?'];
  const args: unknown[] = [projectId];
  for (const w of words.slice(0, 8)) {
    conds.push("instr(lower(prompt), ?) > 0");
    args.push(w);
  }
  const rows = db.prepare(`SELECT id, model_id, prompt, params_json, used_at FROM prompt_history WHERE ${conds.join(' AND ')} ORDER BY used_at DESC, id DESC LIMIT ?`).all(...args, limit) as Omit<Raw, 'uses'>[];
  return rows.map((r) => {
    const { uses, ...params } = JSON.parse(r.params_json) as Record<string, unknown> & { uses?: number };
    return { id: r.id, modelId: r.model_id, prompt: r.prompt, params, usedAt: r.used_at, uses: Math.max(1, Number(uses ?? 1)) };
  });
}
