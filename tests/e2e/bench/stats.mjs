// Percentiles for the benchmarks' printouts.

/** Prints `label n=… p50 … p99 … max …` for samples in milliseconds. */
export function summary(label, samples, { width = 6, digits = 1 } = {}) {
  const sorted = [...samples].sort((a, b) => a - b);
  const pick = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const ms = (v) => `${v.toFixed(digits)} ms`;
  console.log(`${label.padEnd(width)} n=${sorted.length}  p50 ${ms(pick(0.5))}  p99 ${ms(pick(0.99))}  max ${ms(sorted.at(-1))}`);
}
