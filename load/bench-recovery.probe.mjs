// Preloaded into the server by bench:recovery (node --expose-gc --import): on SIGUSR2 it collects garbage and
// prints the heap in use, so the bench can read the server's memory after start-up without a route for it.
process.on("SIGUSR2", () => {
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  process.stdout.write(`HEAP ${m.heapUsed} ${m.rss}\n`);
});
