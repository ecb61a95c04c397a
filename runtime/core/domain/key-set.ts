/**
 * A set of record keys in 8 bytes a key, whatever their length: the deactivation pass holds every
 * key a run read (a million at a large tenant's stock) to find the ledger's records no unit returned,
 * and a Set of the strings themselves would grow the extract worker's memory with the tenant.
 *
 * Keys are kept as 53-bit hashes (two 32-bit FNV-1a variants), sorted on the first `has`. `has` may
 * say yes for a key never added, when its hash equals an added key's: for one absent key among a
 * million read, about one chance in 9·10⁹. That errs the safe way: a record gone from Siesa stays
 * active until a later run, never the reverse (a key added is always found).
 */
export class KeySet {
  #hashes = new Float64Array(1024);
  #size = 0;
  #sorted = true;

  add(key: string): void {
    if (this.#size === this.#hashes.length) {
      const grown = new Float64Array(this.#hashes.length * 2);
      grown.set(this.#hashes);
      this.#hashes = grown;
    }
    this.#hashes[this.#size++] = hash53(key);
    this.#sorted = false;
  }

  has(key: string): boolean {
    if (!this.#sorted) {
      this.#hashes = this.#hashes.slice(0, this.#size).sort();
      this.#sorted = true;
    }
    const hash = hash53(key);
    let low = 0;
    let high = this.#size - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const at = this.#hashes[middle] as number;
      if (at === hash) return true;
      if (at < hash) low = middle + 1;
      else high = middle - 1;
    }
    return false;
  }

  /** Keys added (a key added twice counts twice). */
  get added(): number {
    return this.#size;
  }
}

function hash53(key: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x2b992ddf;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 13;
  }
  return (h1 >>> 0) * 2 ** 21 + ((h2 >>> 0) >>> 11);
}
