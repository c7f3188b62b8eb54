/**
 * The applications' runs in the trial store, beside the tasks' trials: the character language model
 * (`DIR/lm-moby-dick.jsonl`, one line per cell × seed) and the two classifiers (`DIR/sotu.jsonl`,
 * `DIR/spam.jsonl`, one line per seed: a classifier run trains every cell on the same split). A report run
 * takes the runs stored and appends those it makes; a rebuild (`--no-train`) reads them only.
 *
 * A run is found by its application's spec — a hash of the settings it ran with (ApplicationSettings:
 * text sizes, model sizes, epochs, learning rate; for a classifier also the cells) — and its key (seed, and
 * the cell for the language model). A language-model run that diverged is stored as such (its message, no
 * result), so that a later sitting does not run it again.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { CharModelResult } from '../applications/charModel.js';
import type { SotuResult } from '../applications/sotuClassifier.js';
import type { SpamResult } from '../applications/spamClassifier.js';
import {
  hasProvenance,
  JsonLinesFile,
  machineName,
  provenanceNow,
  type RunProvenance,
} from './jsonLinesFile.js';
import type { CachedTrial } from './trialCache.js';

/** Bumped when a change of the applications' code makes every stored run invalid (none so far). */
export const APPLICATION_FORMAT_VERSION = 1;

export const APPLICATION_FILES = { lm: 'lm-moby-dick', sotu: 'sotu', spam: 'spam' } as const;
export type ApplicationName = keyof typeof APPLICATION_FILES;

/** What each application's stored result is. */
interface Results {
  readonly lm: CharModelResult;
  readonly sotu: SotuResult;
  readonly spam: SpamResult;
}

/** A stored run: its result, or (a language model that diverged) the failure's message. */
export type StoredRun<A extends ApplicationName> =
  | { readonly result: Results[A]; readonly failure: null }
  | { readonly result: null; readonly failure: string };

/**
 * What of ApplicationSettings (applications.ts) a run's spec is made of — named by its shape, since
 * applications.ts uses this store.
 */
export interface ApplicationSettings {
  readonly cells: readonly string[];
  readonly lm: object;
  readonly sotu: object;
  readonly spam: object;
}

interface ApplicationRecord extends RunProvenance {
  readonly v: number;
  readonly application: string;
  readonly spec: string;
  readonly seed: number;
  /** The language model's cell; null for a classifier (one run trains every cell). */
  readonly cell: string | null;
  readonly result: unknown;
  readonly failure: string | null;
}

/** The settings an application's runs depend on, hashed (key order fixed, so the hash is too). */
export function applicationSpecHash(application: ApplicationName, settings: ApplicationSettings): string {
  const decides = {
    version: APPLICATION_FORMAT_VERSION,
    application,
    settings: settings[application],
    // A classifier's run trains these cells on one split: another list is another run.
    cells: application === 'lm' ? null : settings.cells,
  };
  const sorted = JSON.stringify(decides, (_, value: unknown) =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)))
      : value,
  );
  return createHash('sha256').update(sorted).digest('hex').slice(0, 12);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const numbers = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'number');

/** Whether a stored result has the fields the report reads (field by field: nothing is executed). */
const RESULT_SHAPES: Record<ApplicationName, (r: Record<string, unknown>) => boolean> = {
  lm: (r) =>
    typeof r.cell === 'string' &&
    ['units', 'parameters', 'validationChars', 'trainedChars', 'unigramBpc', 'seconds'].every(
      (f) => typeof r[f] === 'number',
    ) &&
    // Absent in the runs stored before it was recorded.
    (r.cpuSeconds === undefined || typeof r.cpuSeconds === 'number') &&
    numbers(r.trainBpc) &&
    numbers(r.validationBpc) &&
    (r.validationBpc as number[]).length > 0 &&
    // Absent in the runs stored before the curve was (their points are the epochs').
    (r.curve === undefined ||
      (Array.isArray(r.curve) &&
        r.curve.length === (r.validationBpc as number[]).length &&
        r.curve.every(
          (p) =>
            isObject(p) &&
            ['epoch', 'chars', 'seconds', 'trainBpc', 'validationBpc'].every(
              (f) => typeof p[f] === 'number',
            ) &&
            (p.cpuSeconds === undefined || typeof p.cpuSeconds === 'number'),
        ))),
  sotu: (r) =>
    typeof r.majorityBaseline === 'number' &&
    typeof r.testPassages === 'number' &&
    typeof r.testAddresses === 'number' &&
    isObject(r.scores) &&
    Object.values(r.scores).every(
      (s) => isObject(s) && typeof s.accuracy === 'number' && typeof s.trainAccuracy === 'number',
    ),
  spam: (r) =>
    typeof r.majorityBaseline === 'number' &&
    isObject(r.cells) &&
    Object.values(r.cells).every((c) => isObject(c) && isObject(c.scores) && typeof c.seconds === 'number'),
};

function parser(application: ApplicationName): (value: unknown) => ApplicationRecord | null {
  return (value) => {
    if (!isObject(value) || !hasProvenance(value)) return null;
    const ok =
      typeof value.v === 'number' &&
      value.application === APPLICATION_FILES[application] &&
      typeof value.spec === 'string' &&
      typeof value.seed === 'number' &&
      (value.cell === null || typeof value.cell === 'string') &&
      ((typeof value.failure === 'string' && value.result === null) ||
        (value.failure === null && isObject(value.result) && RESULT_SHAPES[application](value.result)));
    return ok ? (value as unknown as ApplicationRecord) : null;
  };
}

const keyOf = (r: Pick<ApplicationRecord, 'seed' | 'cell'>): string => `${r.seed}|${r.cell ?? ''}`;

/** A run taken from the store: where it ran, and its wall seconds where it records them. */
export type ReusedRun = Omit<CachedTrial, 'trial'> & { readonly seconds: number | null };

export class ApplicationStore {
  private readonly files = new Map<ApplicationName, JsonLinesFile<ApplicationRecord>>();
  private readonly taken = new Map<string, ReusedRun>();

  constructor(
    readonly dir: string,
    private readonly commit: string,
    private readonly options: { readonly kernels?: string; readonly warn: (line: string) => void },
  ) {}

  private appended = 0;

  /** Runs added to the store in this run. */
  get added(): number {
    return this.appended;
  }

  /**
   * Runs taken from the store in this run, with the commits, machines and loads they ran on, and the wall
   * seconds of the runs that record them (the language model's; null for the classifiers').
   */
  get reused(): ReusedRun[] {
    return [...this.taken.values()];
  }

  get<A extends ApplicationName>(
    application: A,
    settings: ApplicationSettings,
    seed: number,
    cell: string | null,
  ): StoredRun<A> | null {
    const spec = applicationSpecHash(application, settings);
    const record = this.file(application).get(spec, keyOf({ seed, cell }));
    if (!record) return null;
    const id = `${application}|${spec}|${keyOf(record)}`;
    const seconds = (record.result as { seconds?: unknown } | null)?.seconds;
    this.taken.set(id, {
      commit: record.commit,
      machine: machineName(record),
      load: record.machine.load ?? null,
      seconds: typeof seconds === 'number' ? seconds : null,
    });
    return record.failure === null
      ? { result: record.result as Results[A], failure: null }
      : { result: null, failure: record.failure };
  }

  put<A extends ApplicationName>(
    application: A,
    settings: ApplicationSettings,
    seed: number,
    cell: string | null,
    run: StoredRun<A>,
  ): StoredRun<A> {
    const record = this.file(application).append({
      v: APPLICATION_FORMAT_VERSION,
      application: APPLICATION_FILES[application],
      spec: applicationSpecHash(application, settings),
      seed,
      cell,
      ...provenanceNow(this.commit, this.options.kernels ?? null),
      result: run.result,
      failure: run.failure,
    });
    this.appended++;
    // As a rebuild will read it.
    return record.failure === null
      ? { result: record.result as Results[A], failure: null }
      : { result: null, failure: record.failure };
  }

  private file(application: ApplicationName): JsonLinesFile<ApplicationRecord> {
    let file = this.files.get(application);
    if (!file) {
      const name = path.join(this.dir, `${APPLICATION_FILES[application]}.jsonl`);
      file = new JsonLinesFile(name, parser(application), keyOf, this.options.warn);
      this.files.set(application, file);
    }
    return file;
  }
}
