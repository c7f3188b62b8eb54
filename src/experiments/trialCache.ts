/**
 * The trial store: every finished trial of the comparison grid, one JSON line per trial in a file per task
 * (`DIR/<task>.jsonl`), so that a grid too long for one sitting runs in pieces — over several sessions, or
 * in several processes each given other tasks (`--tasks`) — and a later run rebuilds the report from them
 * without training (`--no-train`). Committed under docs/results/trials/, it is the grid's evidence.
 *
 * Why lines appended, not a file per trial or one rewritten file: a run killed mid-write loses at most the
 * line it was writing, and a git diff of a sitting is the lines it added.
 *
 * A trial is found by what decides its result: the task spec (its hash, see `taskSpecHash`), the cell, the
 * seed, the learning rate and the forget-bias control. Each line also records the commit it ran on, the
 * machine (CPU model, cores, and the load average as it finished), the kernels and, inside the trial, its
 * seconds; results from older code
 * are kept, not re-run, and the report lists the commits they ran on.
 *
 * Reading is forgiving where a run can leave a file, and loud about it: a last line cut short (a kill
 * during a write) or a line that is not a record is skipped with a warning; a second record for a key is
 * ignored (the first is kept); a record of another version of the task spec (another budget) is never
 * returned for this one.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { cpus, loadavg } from 'node:os';
import * as path from 'node:path';
import type { TaskSpec } from './taskSuite.js';
import { GLOBAL_CLIP_NORM, type TrialResult } from './trial.js';

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
interface TrialRecord {
  readonly v: number;
  readonly task: string;
  readonly spec: string;
  readonly cell: string;
  readonly seed: number;
  readonly learningRate: number;
  readonly forgetBias: number | null;
  readonly commit: string;
  readonly machine: { readonly cpu: string; readonly cores: number; readonly load?: number };
  readonly kernels: string | null;
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

function keyString(cell: string, seed: number, learningRate: number, forgetBias: number | null): string {
  return `${cell}|${seed}|${learningRate}|${forgetBias ?? ''}`;
}

/** A record as parsed, or null when the value is not one (checked field by field: nothing is executed). */
function asRecord(value: unknown): TrialRecord | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const r = value as Record<string, unknown>;
  const t = r.trial as Record<string, unknown> | null;
  const machine = r.machine as Record<string, unknown> | null;
  const ok =
    typeof r.v === 'number' &&
    typeof r.task === 'string' &&
    typeof r.spec === 'string' &&
    typeof r.cell === 'string' &&
    typeof r.seed === 'number' &&
    typeof r.learningRate === 'number' &&
    (r.forgetBias === null || typeof r.forgetBias === 'number') &&
    typeof r.commit === 'string' &&
    typeof machine === 'object' &&
    machine !== null &&
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

/** One task's file as read: its records by spec and key (every spec's), and how many of each spec. */
interface TaskFile {
  readonly file: string;
  readonly records: Map<string, TrialRecord>;
  readonly perSpec: Map<string, number>;
  /** The specs this run has asked for, whose warning about the other specs is given. */
  readonly checked: Set<string>;
}

/**
 * Before an append: a last line without its newline is either cut short (a run killed while writing it:
 * dropped) or whole (given its newline), so that the new record starts a line of its own. Read from the
 * file as it is now, since another process may have appended since it was loaded.
 */
function prepareTail(file: string): string {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
  const whole = bytes.lastIndexOf(0x0a) + 1;
  if (whole === bytes.length) return '';
  try {
    if (asRecord(JSON.parse(bytes.subarray(whole).toString('utf8')))) return '\n';
  } catch {
    // cut short: dropped below
  }
  fs.truncateSync(file, whole);
  return '';
}

export interface TrialCacheOptions {
  /** The kernels trials run on in this process (kernelBackend()), recorded with each trial. */
  readonly kernels?: string;
  /** Where the warnings about a file go (cut lines, duplicates, other specs); default stderr. */
  readonly warn?: (line: string) => void;
}

export class TrialCache {
  private readonly files = new Map<string, TaskFile>();
  /** Keys (file + key) taken from the store, and those written in this run. */
  private readonly taken = new Map<string, CachedTrial>();
  private readonly written = new Set<string>();
  private readonly machine = { cpu: cpus()[0]?.model.trim() ?? 'unknown CPU', cores: cpus().length };
  private readonly warn: (line: string) => void;

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

  /** The stored trial, or null when there is none for this task spec and key. */
  get(task: TaskSpec, cell: string, key: TrialKey): TrialResult | null {
    const taskFile = this.load(task);
    const k = keyString(cell, key.seed, key.learningRate, key.forgetBias ?? null);
    const record = taskFile.records.get(`${taskSpecHash(task)}|${k}`);
    if (!record) return null;
    const id = `${taskFile.file}|${taskSpecHash(task)}|${k}`;
    if (!this.written.has(id)) {
      const { cpu, cores } = record.machine;
      const load = typeof record.machine.load === 'number' ? record.machine.load : null;
      this.taken.set(id, { trial: record.trial, commit: record.commit, machine: `${cores} × ${cpu}`, load });
    }
    return record.trial;
  }

  /**
   * Appends the trial to its task's file, flushed to disk before it returns. A key already stored is not
   * written again (the first record is the one kept).
   */
  put(task: TaskSpec, cell: string, key: TrialKey, trial: TrialResult): void {
    const taskFile = this.load(task);
    const spec = taskSpecHash(task);
    const forgetBias = key.forgetBias ?? null;
    const k = `${spec}|${keyString(cell, key.seed, key.learningRate, forgetBias)}`;
    if (taskFile.records.has(k)) return;
    const record: TrialRecord = {
      v: TRIAL_FORMAT_VERSION,
      task: task.name,
      spec,
      cell,
      seed: key.seed,
      learningRate: key.learningRate,
      forgetBias,
      commit: this.commit,
      machine: { ...this.machine, load: Math.round(loadavg()[0] * 100) / 100 },
      kernels: this.options.kernels ?? null,
      trial,
    };
    const line = JSON.stringify(record);
    fs.mkdirSync(this.dir, { recursive: true });
    const newline = prepareTail(taskFile.file);
    // One write of the whole line, flushed: a kill can cut only this line, which the next reader skips.
    const fd = fs.openSync(taskFile.file, 'a');
    try {
      fs.writeSync(fd, `${newline}${line}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    // Kept as read back, so that this run's report and a rebuild from the file are the same.
    taskFile.records.set(k, asRecord(JSON.parse(line))!);
    taskFile.perSpec.set(spec, (taskFile.perSpec.get(spec) ?? 0) + 1);
    this.written.add(`${taskFile.file}|${k}`);
  }

  /** The task's file, read once per run; the first time a spec is asked for, the other specs' count. */
  private load(task: TaskSpec): TaskFile {
    const file = path.join(this.dir, `${task.name}.jsonl`);
    const taskFile = this.files.get(file) ?? this.read(file);
    this.files.set(file, taskFile);
    const spec = taskSpecHash(task);
    if (!taskFile.checked.has(spec)) {
      taskFile.checked.add(spec);
      for (const [other, count] of taskFile.perSpec) {
        if (other === spec) continue;
        this.warn(
          `${file}: ${count} record${count === 1 ? '' : 's'} of another version of the task (spec ${other}; this run's is ${spec}, another budget or setting): kept, not used`,
        );
      }
    }
    return taskFile;
  }

  private read(file: string): TaskFile {
    const taskFile: TaskFile = { file, records: new Map(), perSpec: new Map(), checked: new Set() };
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return taskFile;
      throw error;
    }
    const lines = text.split('\n');
    let duplicates = 0;
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let record: TrialRecord | null = null;
      try {
        record = asRecord(JSON.parse(line));
      } catch {
        record = null;
      }
      if (!record) {
        // After the last newline: a line whose write did not finish.
        this.warn(
          i === lines.length - 1
            ? `${file}: the last line is cut short (a run stopped while writing it): skipped, and dropped at the next write`
            : `${file}: line ${i + 1} is not a trial record: skipped`,
        );
        return;
      }
      const k = `${record.spec}|${keyString(record.cell, record.seed, record.learningRate, record.forgetBias)}`;
      if (taskFile.records.has(k)) {
        duplicates++;
        return;
      }
      taskFile.records.set(k, record);
      taskFile.perSpec.set(record.spec, (taskFile.perSpec.get(record.spec) ?? 0) + 1);
    });
    if (duplicates > 0) {
      this.warn(
        `${file}: ${duplicates} trial${duplicates === 1 ? ' is' : 's are'} stored twice: the first record of each is used`,
      );
    }
    return taskFile;
  }
}
