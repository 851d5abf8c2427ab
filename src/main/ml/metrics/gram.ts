/** Dot products between the rows of a (na×d) and b (nb×d), row-major float64: what KID's kernel and the
 * precision/recall distances are both built from. Exact O(na·nb·d): sets here are a few hundred rows. */
export function gram(a: Float32Array, na: number, b: Float32Array, nb: number, d: number): Float64Array {
  const out = new Float64Array(na * nb);
  for (let i = 0; i < na; i++) {
    const ai = i * d;
    for (let j = 0; j < nb; j++) {
      const bj = j * d;
      let dot = 0;
      for (let t = 0; t < d; t++) dot += a[ai + t]! * b[bj + t]!;
      out[i * nb + j] = dot;
    }
  }
  return out;
}
