// A fixed set of worker threads pulling jobs from one FIFO. Results travel back as small messages; the
// pixels are written by the workers straight into SharedArrayBuffers, so nothing large is copied.
// Workers are unref'd while idle, so a consumer that forgets close() does not keep the process alive.

import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { SampleProcessor, type ProcessJob, type ProcessorInit, type SlotResult } from "./processor.js";

/** One thread is left for the consumer (the training loop); never more than 8 by default. */
export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(availableParallelism() - 1, 8));
}

interface Pending {
  job: ProcessJob;
  resolve: (results: SlotResult[]) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: Pending | null;
}

function spawnWorker(init: ProcessorInit): Worker {
  const here = import.meta.url;
  if (here.endsWith(".ts")) {
    // Running from source under tsx: a worker does not inherit the parent's loader hooks, so it registers
    // tsx itself before importing the TypeScript entry.
    const tsxApi = import.meta.resolve("tsx/esm/api");
    const entry = new URL("./worker.ts", here).href;
    const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
    return new Worker(bootstrap, { eval: true, workerData: init });
  }
  return new Worker(new URL("./worker.js", here), { workerData: init });
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private inline: SampleProcessor | null = null;
  private inlineChain: Promise<unknown> = Promise.resolve();
  private failure: Error | null = null;
  private closed = false;
  private nextId = 0;

  constructor(
    readonly size: number,
    init: ProcessorInit,
  ) {
    if (size === 0) {
      this.inline = new SampleProcessor(init);
      return;
    }
    for (let i = 0; i < size; i++) {
      const slot: Slot = { worker: spawnWorker(init), busy: null };
      slot.worker.unref();
      slot.worker.on("message", (message: { results?: SlotResult[]; error?: { message: string; stack?: string } }) => {
        if (this.closed) return; // late answers after close(): keep the worker ref'd until terminate() settles
        const pending = slot.busy;
        slot.busy = null;
        slot.worker.unref();
        if (!pending) return;
        if (message.error) {
          const error = new Error(`data worker failed: ${message.error.message}`);
          if (message.error.stack) error.stack = message.error.stack;
          pending.reject(error);
        } else {
          pending.resolve(message.results ?? []);
        }
        this.pump();
      });
      slot.worker.on("error", (error) => this.fail(new Error(`data worker crashed: ${error.message}`)));
      slot.worker.on("exit", (code) => {
        if (!this.closed) this.fail(new Error(`data worker exited unexpectedly with code ${code}`));
      });
      this.slots.push(slot);
    }
  }

  run(job: ProcessJob): Promise<SlotResult[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error("the data worker pool is closed"));
    if (this.inline) {
      const processor = this.inline;
      const result = this.inlineChain.then(() => processor.process(job));
      this.inlineChain = result.catch(() => undefined);
      return result;
    }
    return new Promise<SlotResult[]>((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.busy) continue;
      const pending = this.queue.shift()!;
      slot.busy = pending;
      slot.worker.ref();
      slot.worker.postMessage({ id: this.nextId++, job: pending.job });
    }
  }

  private fail(error: Error): void {
    if (this.failure || this.closed) return;
    this.failure = error;
    for (const slot of this.slots) {
      slot.busy?.reject(error);
      slot.busy = null;
    }
    for (const pending of this.queue.splice(0)) pending.reject(error);
    void this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new Error("the data worker pool was closed");
    for (const pending of this.queue.splice(0)) pending.reject(error);
    await Promise.all(
      this.slots.map(async (slot) => {
        slot.busy?.reject(error);
        slot.busy = null;
        slot.worker.ref(); // an unref'd worker's exit would not keep the loop alive until terminate() settles
        await slot.worker.terminate();
      }),
    );
  }
}
