// A fixed set of worker threads. Jobs are handed out as soon as they exist, each to the worker with the
// fewest samples outstanding, and a worker works through its own queue: the training step blocks the
// main thread for long stretches, and a worker that had to wait for the main thread to hand it its next
// job would sit idle through every one of them. Results travel back as small messages; the pixels are
// written by the workers straight into SharedArrayBuffers, so nothing large is copied. Workers are
// unref'd while idle, so a consumer that forgets close() does not keep the process alive.

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
  /** Jobs sent and not yet answered, by message id. */
  outstanding: Map<number, Pending>;
  /** Samples in those jobs: the load figure jobs are balanced by. */
  outstandingSamples: number;
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
  private inline: SampleProcessor | null = null;
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
      const slot: Slot = { worker: spawnWorker(init), outstanding: new Map(), outstandingSamples: 0 };
      slot.worker.unref();
      slot.worker.on("message", (message: { id: number; results?: SlotResult[]; error?: { message: string; stack?: string } }) => {
        if (this.closed) return; // late answers after close(): keep the worker ref'd until terminate() settles
        const pending = slot.outstanding.get(message.id);
        if (!pending) return;
        slot.outstanding.delete(message.id);
        slot.outstandingSamples -= pending.job.slots.length;
        if (slot.outstanding.size === 0) slot.worker.unref();
        if (message.error) {
          const error = new Error(`data worker failed: ${message.error.message}`);
          if (message.error.stack) error.stack = message.error.stack;
          pending.reject(error);
        } else {
          pending.resolve(message.results ?? []);
        }
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
    if (this.inline) return this.inline.process(job);
    return new Promise<SlotResult[]>((resolve, reject) => {
      let target = this.slots[0];
      for (const slot of this.slots) if (slot.outstandingSamples < target.outstandingSamples) target = slot;
      const id = this.nextId++;
      target.outstanding.set(id, { job, resolve, reject });
      target.outstandingSamples += job.slots.length;
      target.worker.ref();
      target.worker.postMessage({ id, job });
    });
  }

  private rejectAll(error: Error): void {
    for (const slot of this.slots) {
      for (const pending of slot.outstanding.values()) pending.reject(error);
      slot.outstanding.clear();
      slot.outstandingSamples = 0;
    }
  }

  private fail(error: Error): void {
    if (this.failure || this.closed) return;
    this.failure = error;
    this.rejectAll(error);
    void this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rejectAll(new Error("the data worker pool was closed"));
    await Promise.all(
      this.slots.map(async (slot) => {
        slot.worker.ref(); // an unref'd worker's exit would not keep the loop alive until terminate() settles
        await slot.worker.terminate();
      }),
    );
  }
}
