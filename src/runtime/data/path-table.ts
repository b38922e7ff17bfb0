// Millions of file paths stored as one UTF-8 byte run plus end offsets: ~1 byte per character and 4 bytes
// per path, instead of a JS string object each (several times more, and millions of objects for the GC).

export class PathTable {
  private bytes = Buffer.allocUnsafe(1 << 16);
  private usedBytes = 0;
  private ends = new Uint32Array(1024);
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(path: string): number {
    const needed = Buffer.byteLength(path, "utf8");
    if (this.usedBytes + needed > this.bytes.length) {
      let capacity = this.bytes.length * 2;
      while (capacity < this.usedBytes + needed) capacity *= 2;
      const grown = Buffer.allocUnsafe(capacity);
      this.bytes.copy(grown, 0, 0, this.usedBytes);
      this.bytes = grown;
    }
    this.bytes.write(path, this.usedBytes, needed, "utf8");
    this.usedBytes += needed;
    if (this.count === this.ends.length) {
      const grown = new Uint32Array(this.ends.length * 2);
      grown.set(this.ends);
      this.ends = grown;
    }
    this.ends[this.count] = this.usedBytes;
    return this.count++;
  }

  get(index: number): string {
    if (!(index >= 0 && index < this.count)) throw new RangeError(`path index ${index} outside 0..${this.count - 1}`);
    const start = index === 0 ? 0 : this.ends[index - 1];
    return this.bytes.toString("utf8", start, this.ends[index]);
  }
}
