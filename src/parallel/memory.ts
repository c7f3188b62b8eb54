/**
 * What one thread holds in memory, for the memory benchmark (bench/memory.ts): its JavaScript heap and
 * each of its WebAssembly engine instances. The process's resident size (every thread's) is the
 * benchmark's own reading; this says where it went. Environment-free: outside Node the heap figures are 0.
 */
import { liveEngineMemory, type EngineMemory } from '../engine/loader.js';

export interface ThreadMemory {
  /** The V8 heap of this thread's isolate (bytes): in use, and reserved for it. */
  readonly heapUsed: number;
  readonly heapTotal: number;
  /**
   * Memory outside the heap that this isolate's objects hold: ArrayBuffers (typed arrays, messages)
   * and the engines' WebAssembly memories.
   */
  readonly external: number;
  /** One entry per engine instance alive on this thread (one per recurrent layer's plan, one shared). */
  readonly engines: EngineMemory[];
}

export function threadMemory(): ThreadMemory {
  const usage = globalThis.process?.memoryUsage?.();
  return {
    heapUsed: usage?.heapUsed ?? 0,
    heapTotal: usage?.heapTotal ?? 0,
    external: usage?.external ?? 0,
    engines: liveEngineMemory(),
  };
}
