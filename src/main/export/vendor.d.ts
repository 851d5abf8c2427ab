// Type declarations for the small untyped libraries the exporters use (only what we call).

declare module 'upng-js' {
  const UPNG: {
    /** frames: RGBA8 buffers; cnum 0 = lossless; dels: per-frame delays in ms. */
    encode(frames: ArrayBuffer[], width: number, height: number, cnum: number, dels?: number[]): ArrayBuffer;
    decode(buf: ArrayBuffer): { width: number; height: number; frames: unknown[] };
    toRGBA8(img: { width: number; height: number; frames: unknown[] }): ArrayBuffer[];
  };
  export default UPNG;
}

declare module 'imagetracerjs' {
  export interface TracerPaletteColor {
    r: number;
    g: number;
    b: number;
    a: number;
  }
  export interface TracerImageData {
    width: number;
    height: number;
    data: Uint8ClampedArray | Uint8Array;
  }
  export interface TraceData {
    layers: unknown[][];
    palette: TracerPaletteColor[];
    width: number;
    height: number;
  }
  const ImageTracer: {
    imagedataToSVG(imgd: TracerImageData, options?: Record<string, unknown>): string;
    imagedataToTracedata(imgd: TracerImageData, options?: Record<string, unknown>): TraceData;
    getsvgstring(tracedata: TraceData, options: Record<string, unknown>): string;
    checkoptions(options?: Record<string, unknown>): Record<string, unknown>;
  };
  export default ImageTracer;
}

declare module 'png-chunks-extract' {
  function extract(data: Uint8Array): Array<{ name: string; data: Uint8Array }>;
  export default extract;
}

declare module 'png-chunks-encode' {
  function encode(chunks: Array<{ name: string; data: Uint8Array }>): Uint8Array;
  export default encode;
}
