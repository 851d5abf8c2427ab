/** What the engine sends a text-sampling worker, and what it posts back. */
export interface TextSampleWorkerData {
  checkpointPath: string;
  backend?: string;
  /** Exactly what ml/text/generate.ts takes: the same request + checkpoint + backend ⇒ the same texts. */
  request: { prompt: string; temperature: number; topK: number; maxLength: number; seed: number; count: number };
}

export type TextSampleMessage =
  | { type: 'backend'; name: string; reason: string }
  | { type: 'model'; family: string; step: number; sha256: string; vocabSize: number }
  | { type: 'texts'; texts: string[] };

export interface TextSampleResult {
  count: number;
  ms: number;
}
