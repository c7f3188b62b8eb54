/**
 * Messages between the page (main.ts) and the training worker (worker.ts). Everything here is
 * structured-cloneable; model files travel as Uint8Array (transferred, not copied).
 */
import type { GateTrace, LmCell } from '../src/index.js';

export interface TrainSettings {
  readonly cell: LmCell;
  readonly units: number;
  readonly layers: number;
  readonly embeddingDim: number;
  readonly seqLen: number;
  readonly batch: number;
  readonly learningRate: number;
  readonly clipNorm: number;
  /** Stop after this many passes over the training text. */
  readonly epochs: number;
  readonly seed: number;
}

export interface GenerateSettings {
  readonly id: number;
  readonly prime: string;
  readonly length: number;
  readonly temperature: number;
  /** null: sample from every character. */
  readonly topK: number | null;
  readonly seed: number;
}

export interface NamedFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export type ToWorker =
  | { readonly type: 'train'; readonly text: string; readonly settings: TrainSettings }
  | { readonly type: 'pause' }
  | { readonly type: 'resume' }
  | { readonly type: 'stop' }
  | { readonly type: 'generate'; readonly settings: GenerateSettings }
  | { readonly type: 'save' }
  | { readonly type: 'gates'; readonly sample: string }
  /** One model file (a tar), or model.json and its .bin files picked together. */
  | { readonly type: 'load'; readonly files: readonly NamedFile[] };

export interface ModelSummary {
  readonly cell: LmCell;
  readonly units: number;
  readonly layers: number;
  readonly vocabularySize: number;
  readonly parameters: number;
}

/** The kernels the training worker runs on, sent once it has loaded them. */
export interface EngineInfo {
  /** 'relaxed' or 'simd' (the WebAssembly engine's build), or 'reference' (plain JavaScript kernels). */
  readonly backend: string;
  /** Cores the browser reports (navigator.hardwareConcurrency): the most training workers. */
  readonly cores: number;
  /** Why the engine did not load, when it failed for a reason other than missing SIMD; else null. */
  readonly problem: string | null;
}

export type FromWorker =
  | { readonly type: 'engine'; readonly engine: EngineInfo }
  | {
      readonly type: 'started';
      readonly model: ModelSummary;
      readonly trainChars: number;
      readonly validationChars: number;
      readonly windowsPerEpoch: number;
      /** Web Workers the windows are split over (1: the training worker alone). */
      readonly workers: number;
    }
  | {
      readonly type: 'step';
      /** Windows trained so far, over all epochs. */
      readonly step: number;
      readonly totalSteps: number;
      readonly epoch: number;
      /** Training characters seen so far. */
      readonly chars: number;
      /** This window's training loss in bits per character. */
      readonly bpc: number;
      readonly charsPerSecond: number;
      readonly etaSeconds: number;
    }
  | { readonly type: 'validation'; readonly step: number; readonly chars: number; readonly bpc: number }
  | { readonly type: 'state'; readonly state: 'training' | 'paused' | 'finished' | 'stopped' }
  | { readonly type: 'generated'; readonly id: number; readonly text: string; readonly done: boolean }
  | { readonly type: 'gates'; readonly trace: GateTrace }
  | { readonly type: 'saved'; readonly bytes: Uint8Array; readonly name: string }
  | { readonly type: 'loaded'; readonly model: ModelSummary }
  | { readonly type: 'error'; readonly name: string; readonly message: string };
