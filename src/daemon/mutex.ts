/**
 * Named async mutexes: a run holds the keys of everything it touches (a policy's source and DR
 * directories, its store prefix), so two policies that share a directory — one's DR target is
 * another's source — never reconcile at once, while unrelated policies run side by side.
 * Keys are taken in sorted order, so two runs wanting overlapping sets cannot deadlock.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /** Waits until every key is free, takes them all; the returned function gives them back (idempotent). */
  async acquire(keys: readonly string[]): Promise<() => void> {
    const sorted = [...new Set(keys)].sort();
    const releases: Array<() => void> = [];
    for (const k of sorted) {
      const prev = this.tails.get(k) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((r) => (release = r));
      const tail = prev.then(() => mine);
      this.tails.set(k, tail);
      await prev;
      releases.push(() => {
        release();
        // Forget the key when no one queued behind us, so the map does not grow with every key ever seen.
        if (this.tails.get(k) === tail) this.tails.delete(k);
      });
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const r of releases.reverse()) r();
    };
  }

  get size(): number {
    return this.tails.size;
  }
}
