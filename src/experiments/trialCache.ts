/**
 * The trial store: every finished trial of the comparison grid, one JSON line per trial in a file per task
 * (`DIR/<task>.jsonl`, see jsonLinesFile.ts for how lines are written and read back), so that a grid too
 * long for one sitting runs in pieces — over several sessions, or in several processes each given other
 * tasks (`--tasks`) — and a later run rebuilds the report from them without training (`--no-train`).
 * Committed under docs/results/trials/, it is the grid's evidence.
 *
 * A trial is found by what decides its result: the task spec (its hash, see `taskSpecHash`), the cell, the
 * seed, the learning rate and the forget-bias control — and a stored trial is used only if its model is
 * the one the cell builds now (the same units and parameter count), so a cell whose definition changed is
 * run again rather than mixed with its old self. Each line also records the commit it ran on, the
 * machine (CPU model, cores, and the load average as it finished), the kernels and, inside the trial, its
 * seconds; results from older code are kept, not re-run, and the report lists the commits they ran on.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import {
  hasProvenance,
  JsonLinesFile,
  machineName,
  provenanceNow,
  type RunProvenance,
} from './jsonLinesFile.js';
import { comparedCell, parameterCount } from './comparedCells.js';
import type { TaskSpec } from './taskSuite.js';
import { GLOBAL_CLIP_NORM, unitsFor, type TrialResult } from './trial.js';

/** Bumped when a change of the trial code makes every stored trial invalid (none so far). */
export const TRIAL_FORMAT_VERSION = 1;

export interface TrialKey {
  readonly seed: number;
  readonly learningRate: number;
  readonly forgetBias?: number;
}

export interface CachedTrial {
  readonly trial: TrialResult;
  readonly commit: string;
  /** Where it ran, e.g. "2 × Intel(R) Xeon(R) Processor". */
  readonly machine: string;
  /** The machine's 1-minute load average when it finished (its wall time depends on it); null: unknown. */
  readonly load: number | null;
}

/** One line of a task's file. */
interface TrialRecord extends RunProvenance {
  readonly v: number;
  readonly task: string;
  readonly spec: string;
  readonly cell: string;
  readonly seed: number;
  readonly learningRate: number;
  readonly forgetBias: number | null;
  readonly trial: TrialResult;
}

/**
 * What of a task decides its trials' results besides the key, hashed: its shape, its head, its budget
 * (batch, sequences, evaluation interval, LSTM units — the quick, medium and full settings differ there),
 * its success criterion, and the clip norm every trial trains with. Left out on purpose: the learning-rate
 * list (each trial's rate is in its key, so a longer list reuses the rates already run) and the description
 * (wording). The task's data generator and evaluation are code: a change there shows only in the commits
 * the report lists, or bumps TRIAL_FORMAT_VERSION.
 */
export function taskSpecHash(task: TaskSpec): string {
  const decides = {
    version: TRIAL_FORMAT_VERSION,
    name: task.name,
    inputDim: task.inputDim,
    outputDim: task.outputDim,
    head: task.head,
    perStep: task.perStep,
    criterion: task.criterion,
    lstmUnits: task.lstmUnits,
    batchSize: task.batchSize,
    maxSequences: task.maxSequences,
    evalEvery: task.evalEvery,
    clipNorm: GLOBAL_CLIP_NORM,
  };
  return createHash('sha256').update(JSON.stringify(decides)).digest('hex').slice(0, 12);
}

/** The model a cell builds for a task: part of a trial's key, so a changed cell is a new trial. */
interface CellModel {
  readonly units: number;
  readonly parameters: number;
}

function keyString(
  cell: string,
  model: CellModel,
  seed: number,
  learningRate: number,
  forgetBias: number | null,
): string {
  return `${cell}|u${model.units}|p${model.parameters}|${seed}|${learningRate}|${forgetBias ?? ''}`;
}

/** A record as parsed, or null when the value is not one (checked field by field: nothing is executed). */
function asRecord(value: unknown): TrialRecord | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const r = value as Record<string, unknown>;
  const t = r.trial as Record<string, unknown> | null;
  const ok =
    typeof r.v === 'number' &&
    typeof r.task === 'string' &&
    typeof r.spec === 'string' &&
    typeof r.cell === 'string' &&
    typeof r.seed === 'number' &&
    typeof r.learningRate === 'number' &&
    (r.forgetBias === null || typeof r.forgetBias === 'number') &&
    hasProvenance(r) &&
    typeof t === 'object' &&
    t !== null &&
    typeof t.solved === 'boolean' &&
    (t.sequencesToSuccess === null || typeof t.sequencesToSuccess === 'number') &&
    typeof t.units === 'number' &&
    typeof t.parameters === 'number' &&
    typeof t.seconds === 'number' &&
    Array.isArray(t.curve);
  if (!ok) return null;
  // JSON has no NaN: a metric or curve loss that was NaN (a first step that diverged) comes back null.
  const curve = (t.curve as Record<string, unknown>[]).map((p) => ({
    sequences: Number(p.sequences),
    metric: (p.metric as number | null) ?? NaN,
    loss: (p.loss as number | null) ?? NaN,
  }));
  const trial = {
    ...t,
    finalMetric: (t.finalMetric as number | null) ?? NaN,
    curve,
  } as unknown as TrialResult;
  return { ...(r as unknown as TrialRecord), trial };
}

export interface TrialCacheOptions {
  /** The kernels trials run on in this process (kernelBackend()), recorded with each trial. */
  readonly kernels?: string;
  /** Where the warnings about a file go (cut lines, duplicates, other specs); default stderr. */
  readonly warn?: (line: string) => void;
}

const recordKey = (r: TrialRecord): string =>
  keyString(r.cell, r.trial, r.seed, r.learningRate, r.forgetBias);

export class TrialCache {
  private readonly files = new Map<string, JsonLinesFile<TrialRecord>>();
  /** Trials (file, spec and key) taken from the store, and those written in this run. */
  private readonly taken = new Map<string, CachedTrial>();
  private readonly written = new Set<string>();
  private readonly warn: (line: string) => void;
  /** Per task spec and cell: the model the cell builds now. */
  private readonly models = new Map<string, CellModel>();

  constructor(
    readonly dir: string,
    private readonly commit: string,
    private readonly options: TrialCacheOptions = {},
  ) {
    this.warn = options.warn ?? ((line) => void process.stderr.write(`${line}\n`));
  }

  /** Trials taken from the store in this run (each once), and the commits and machines they ran on. */
  get reused(): CachedTrial[] {
    return [...this.taken.values()];
  }

  /** The stored trial, or null when there is none for this task spec, key and cell model. */
  get(task: TaskSpec, cell: string, key: TrialKey): TrialResult | null {
    const file = this.file(task);
    const spec = taskSpecHash(task);
    const k = keyString(
      cell,
      this.model(task, cell, file),
      key.seed,
      key.learningRate,
      key.forgetBias ?? null,
    );
    const record = file.get(spec, k);
    if (!record) return null;
    const id = `${file.file}|${spec}|${k}`;
    if (!this.written.has(id)) {
      const load = record.machine.load ?? null;
      this.taken.set(id, { trial: record.trial, commit: record.commit, machine: machineName(record), load });
    }
    return record.trial;
  }

  /**
   * Appends the trial to its task's file, flushed to disk before it returns. A key already stored is not
   * written again (the first record is the one kept).
   */
  put(task: TaskSpec, cell: string, key: TrialKey, trial: TrialResult): void {
    const file = this.file(task);
    const record = file.append({
      v: TRIAL_FORMAT_VERSION,
      task: task.name,
      spec: taskSpecHash(task),
      cell,
      seed: key.seed,
      learningRate: key.learningRate,
      forgetBias: key.forgetBias ?? null,
      ...provenanceNow(this.commit, this.options.kernels ?? null),
      trial,
    });
    this.written.add(`${file.file}|${record.spec}|${recordKey(record)}`);
  }

  /**
   * The model the cell builds for the task now. The first time per task spec and cell, trials stored for
   * another model of it (the cell's definition changed since) are counted in a warning: they are not used.
   */
  private model(task: TaskSpec, cellId: string, file: JsonLinesFile<TrialRecord>): CellModel {
    const spec = taskSpecHash(task);
    const id = `${spec}|${cellId}`;
    let model = this.models.get(id);
    if (!model) {
      const cell = comparedCell(cellId);
      const units = unitsFor(task, cell);
      model = { units, parameters: parameterCount(cell, units, task.inputDim, task.outputDim) };
      this.models.set(id, model);
      const now = model;
      const others = file
        .all(spec)
        .filter(
          (r) => r.cell === cellId && (r.trial.units !== now.units || r.trial.parameters !== now.parameters),
        );
      if (others.length > 0) {
        const { units: u, parameters: p } = others[0].trial;
        this.warn(
          `${file.file}: ${others.length} trial${others.length === 1 ? '' : 's'} of ${cellId} for another model of it (${u} units, ${p} parameters; it now builds ${now.units} and ${now.parameters}): kept, not used`,
        );
      }
    }
    return model;
  }

  /** The task's file, read once per run. */
  private file(task: TaskSpec): JsonLinesFile<TrialRecord> {
    const name = path.join(this.dir, `${task.name}.jsonl`);
    let file = this.files.get(name);
    if (!file) {
      file = new JsonLinesFile(name, asRecord, recordKey, this.warn);
      this.files.set(name, file);
    }
    return file;
  }
}
