/** What the engine sends a text-generate worker, and what it posts back. */
export interface TextGenerateWorkerData {
  checkpointPath: string;
  backend?: string;
  /** Exactly what ml/text/sampler.ts takes: the same request + checkpoint + backend ⇒ the same texts. */
  request: { prompt: string; temperature: number; topK: number; maxLength: number; seed: number; count: number };
}

export type TextGenerateMessage =
  | { type: 'backend'; name: string; reason: string }
  | { type: 'model'; family: string; step: number; sha256: string; vocabSize: number }
  | { type: 'texts'; texts: string[] };

export interface TextGenerateWorkerResult {
  count: number;
  ms: number;
}
