// A seeded random source, so a scenario's "live" prices are the same on every run.

/** mulberry32: small, fast, good enough for a demo; returns a function giving [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box-Muller) from a uniform source. */
export function normal(random: () => number): number {
  const u = Math.max(random(), Number.EPSILON);
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Next price of a geometric random walk with relative step `volatility`, rounded to cents. */
export function stepPrice(price: number, volatility: number, random: () => number): number {
  const next = price * Math.exp(volatility * normal(random));
  return Math.round(next * 100) / 100;
}
