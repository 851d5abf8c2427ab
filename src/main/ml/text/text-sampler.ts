/**
 * Generating text from a checkpoint file: `loadTextGenerator(path)` → a TextGenerator.
 *
 *   const g = await loadTextGenerator(ckptPath);
 *   const names = g.generate({ prompt: 'cat ', temperature: 0.8, topK: 10, maxLength: 40, seed: 42, count: 8 });
 *   g.dispose();
 *
 * Determinism: same checkpoint + request + backend ⇒ same strings (see generate.ts). Only the weights
 * are loaded (no optimizer state).
 */
import { AtelierError } from '../../../shared/errors';
import { assignValues } from '../nn/params';
import { Rng } from '../rng';
import { readCheckpoint } from '../checkpoint';
import { isTextFamily } from '../../../shared/families';
import { textFamilyModule, type TextConfigs } from './families';
import { generateText, type GenerateRequest } from './generate';
import type { TextFamily, TextModel } from './model';
import { CharVocab } from './vocab';

export type { GenerateRequest } from './generate';

export interface TextGenerator {
  readonly family: TextFamily;
  readonly config: TextConfigs[TextFamily];
  readonly vocab: CharVocab;
  /** Training step the checkpoint was saved at. */
  readonly step: number;
  /** SHA-256 of the checkpoint file. */
  readonly sha256: string;
  /** `count` texts, each starting with the prompt. */
  generate(req: GenerateRequest): string[];
  dispose(): void;
}

export async function loadTextGenerator(checkpointPath: string): Promise<TextGenerator> {
  const ckpt = await readCheckpoint(checkpointPath);
  const h = ckpt.header;
  if (!isTextFamily(h.family)) throw new AtelierError('invalid_input', `${checkpointPath} is not a text model checkpoint (family ${h.family}).`);
  const module = textFamilyModule(h.family);
  const config = h.config as unknown as TextConfigs[TextFamily];
  module.validate(config as never);
  const vocab = CharVocab.fromTokens((h.vocab as { tokens?: string[] }).tokens ?? []);
  const model = module.build(config as never, vocab.size, new Rng(0), { inference: true });
  for (const e of model.store.list()) {
    const t = ckpt.tensors.get(e.name);
    if (!t || t.shape.join() !== e.variable.shape.join()) {
      model.store.dispose();
      throw new AtelierError('invalid_input', `${checkpointPath} lacks model tensor ${e.name}.`);
    }
    assignValues(e.variable, t.data, t.shape);
  }
  return new CheckpointTextGenerator(h.family, config, vocab, h.step, ckpt.sha256, model);
}

class CheckpointTextGenerator implements TextGenerator {
  private disposed = false;

  constructor(
    readonly family: TextFamily,
    readonly config: TextConfigs[TextFamily],
    readonly vocab: CharVocab,
    readonly step: number,
    readonly sha256: string,
    private readonly model: TextModel,
  ) {}

  generate(req: GenerateRequest): string[] {
    if (this.disposed) throw new Error('this generator was disposed');
    return generateText(this.model, this.vocab, req);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.store.dispose();
  }
}
