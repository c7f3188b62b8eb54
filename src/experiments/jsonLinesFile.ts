/**
 * One file of the trial store: JSON lines, each a record of one finished run, appended as runs finish. The
 * trials of a task (trialCache.ts) and the runs of an application (applicationStore.ts) are kept this way.
 *
 * Why lines appended, not a file per run or one rewritten file: a run killed mid-write loses at most the
 * line it was writing, and a git diff of a sitting is the lines it added.
 *
 * Each record names the spec it ran under (a hash of what decides its result besides its key) and its key.
 * Reading is forgiving where a run can leave a file, and loud about it: a last line cut short (a kill during
 * a write) or a line that is not a record is skipped with a warning, and the cut line is dropped at the next
 * append; a second record for a spec and key is ignored (the first is kept); records of another spec are
 * kept in the file and never returned for this one. Nothing in a line is executed: a record is JSON,
 * checked field by field by the `parse` it is read with.
 */
import * as fs from 'node:fs';
import { cpus, loadavg } from 'node:os';
import * as path from 'node:path';

/** Where and on what a stored run ran: written with every record. */
export interface RunProvenance {
  readonly commit: string;
  readonly machine: { readonly cpu: string; readonly cores: number; readonly load?: number };
  readonly kernels: string | null;
}

/** The provenance of a run finishing now, on this machine. */
export function provenanceNow(commit: string, kernels: string | null): RunProvenance {
  const cpu = cpus();
  return {
    commit,
    // The load as the run finished: its wall time depends on it.
    machine: {
      cpu: cpu[0]?.model.trim() ?? 'unknown CPU',
      cores: cpu.length,
      load: Math.round(loadavg()[0] * 100) / 100,
    },
    kernels,
  };
}

/** Whether a parsed value carries a well-formed provenance (the `parse` of a record checks the rest). */
export function hasProvenance(r: Record<string, unknown>): boolean {
  const machine = r.machine as Record<string, unknown> | null;
  return (
    typeof r.commit === 'string' &&
    typeof machine === 'object' &&
    machine !== null &&
    typeof machine.cpu === 'string' &&
    typeof machine.cores === 'number' &&
    (machine.load === undefined || typeof machine.load === 'number') &&
    (r.kernels === null || typeof r.kernels === 'string')
  );
}

/** "2 × Intel(R) Xeon(R) Processor". */
export function machineName(p: RunProvenance): string {
  return `${p.machine.cores} × ${p.machine.cpu}`;
}

/**
 * Before an append: a last line without its newline is either cut short (dropped) or whole (given its
 * newline), so that the new record starts a line of its own. Read from the file as it is now, since another
 * process may have appended since it was loaded.
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
    JSON.parse(bytes.subarray(whole).toString('utf8'));
    return '\n';
  } catch {
    fs.truncateSync(file, whole);
    return '';
  }
}

export class JsonLinesFile<R extends { readonly spec: string }> {
  private readonly records = new Map<string, R>();
  private readonly perSpec = new Map<string, number>();
  /** The specs asked for so far, whose warning about the file's other specs has been given. */
  private readonly checked = new Set<string>();

  /** Reads the file (once); a missing file is an empty one. */
  constructor(
    readonly file: string,
    /** The record in a parsed line, or null when the line is not one. */
    private readonly parse: (value: unknown) => R | null,
    /** The record's key, without its spec. */
    private readonly keyOf: (record: R) => string,
    private readonly warn: (line: string) => void,
  ) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const lines = text.split('\n');
    let duplicates = 0;
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let record: R | null;
      try {
        record = parse(JSON.parse(line));
      } catch {
        record = null;
      }
      if (!record) {
        // After the last newline: a line whose write did not finish.
        warn(
          i === lines.length - 1
            ? `${file}: the last line is cut short (a run stopped while writing it): skipped, and dropped at the next write`
            : `${file}: line ${i + 1} is not a record of this store: skipped`,
        );
        return;
      }
      if (!this.add(record)) duplicates++;
    });
    if (duplicates > 0) {
      warn(
        `${file}: ${duplicates} record${duplicates === 1 ? ' is' : 's are'} stored twice: the first of each is used`,
      );
    }
  }

  /** The record of `spec` and `key`, if stored. The first lookup of a spec warns of the file's others. */
  get(spec: string, key: string): R | undefined {
    if (!this.checked.has(spec)) {
      this.checked.add(spec);
      for (const [other, count] of this.perSpec) {
        if (other === spec) continue;
        this.warn(
          `${this.file}: ${count} record${count === 1 ? '' : 's'} of another version of the spec (${other}; this run's is ${spec}: another budget or setting): kept, not used`,
        );
      }
    }
    return this.records.get(`${spec}|${key}`);
  }

  /** Every record of `spec`, in file order. */
  all(spec: string): R[] {
    return [...this.records.values()].filter((r) => r.spec === spec);
  }

  /**
   * Appends the record as one line, flushed to disk before it returns, and gives it back as a reader of the
   * file will see it (so that a report from this run and one rebuilt from the file are the same). A spec
   * and key already stored is not written again: the stored record is returned.
   */
  append(record: R): R {
    const stored = this.records.get(`${record.spec}|${this.keyOf(record)}`);
    if (stored) return stored;
    const line = JSON.stringify(record);
    const readBack = this.parse(JSON.parse(line));
    if (!readBack) throw new Error(`${this.file}: a record this store wrote does not read back`);
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const newline = prepareTail(this.file);
    // One write of the whole line, flushed: a kill can cut only this line, which the next reader skips.
    const fd = fs.openSync(this.file, 'a');
    try {
      fs.writeSync(fd, `${newline}${line}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    this.add(readBack);
    return readBack;
  }

  /** False when the spec and key are already held. */
  private add(record: R): boolean {
    const k = `${record.spec}|${this.keyOf(record)}`;
    if (this.records.has(k)) return false;
    this.records.set(k, record);
    this.perSpec.set(record.spec, (this.perSpec.get(record.spec) ?? 0) + 1);
    return true;
  }
}
