/**
 * The seeds' own models in the comparison: the two classifiers (seed 000, State of the Union by party;
 * seed 002, spam) and the character language model (seed 004), each run for every compared cell on the
 * same data, the same budget (epochs) and the same settings, at equal parameter counts — so that the
 * report answers the seed's question on real data as well as on the 1997 tasks.
 *
 * No learning-rate search here: each application has one declared rate, the same for every cell, so no
 * cell gets more tuning than another.
 *
 * With a trial store (applicationStore.ts), a run already stored is taken from it, a run made is appended
 * to it, and without training nothing runs: the stored runs are read. A classifier is then shown only when
 * all its seeds are stored, and a language-model cell only when all of its are (no spread, and no verdict,
 * from fewer seeds than declared); the rest is listed as missing.
 */
import { charModel, type CharModelOptions, type CharModelResult } from '../applications/charModel.js';
import { sotuClassifier, type SotuOptions, type SotuResult } from '../applications/sotuClassifier.js';
import { spamClassifier, type SpamOptions, type SpamResult } from '../applications/spamClassifier.js';
import { TrainingDivergedError, type LmCell } from '../lm/index.js';
import type { ApplicationName, ApplicationStore, StoredRun } from './applicationStore.js';

/** What each application is run with; cell, seed, matchParameters and verbosity are set by the runner. */
type Fixed = 'cells' | 'cell' | 'seed' | 'matchParameters' | 'verbose';

export interface ApplicationSettings {
  /** Cells run on every application: the language model builds only these three. */
  readonly cells: readonly LmCell[];
  /** Seeds of the classifiers (each seed: its own split, initial weights and batch order). */
  readonly classifierSeeds: readonly number[];
  /** Seeds of the language model (its text is fixed; the seed sets the weights). */
  readonly lmSeeds: readonly number[];
  readonly sotu: Omit<SotuOptions, Fixed>;
  readonly spam: Omit<SpamOptions, Fixed>;
  readonly lm: Omit<CharModelOptions, Fixed>;
}

export interface LanguageModelRun {
  readonly seed: number;
  readonly result: CharModelResult;
}

export interface ApplicationResults {
  readonly settings: ApplicationSettings;
  /** One entry per seed that ran (a time limit may cut the list short: see `skipped`). */
  readonly sotu: readonly SotuResult[];
  readonly spam: readonly SpamResult[];
  readonly lm: readonly LanguageModelRun[];
  /** Runs not started because the report's time limit had passed, e.g. "spam seed 3". */
  readonly skipped: readonly string[];
  /** Language-model runs that diverged (they have no score; the report lists them). */
  readonly failed: readonly string[];
  /** With a trial store: the runs not in it, e.g. "spam seed 3". */
  readonly missing?: readonly string[];
  /** With a trial store: what is not shown because some of its seeds are missing (no spread, no verdict). */
  readonly notShown?: readonly string[];
}

export interface ApplicationRunOptions {
  /** performance.now() after which no further run starts; null: no limit. */
  readonly deadline: number | null;
  readonly log: (line: string) => void;
  /** Runs stored are taken from it, runs made are added to it. */
  readonly store?: ApplicationStore | null;
  /** False: run nothing, only read the store (default true). */
  readonly train?: boolean;
}

export async function runApplications(
  settings: ApplicationSettings,
  options: ApplicationRunOptions,
): Promise<ApplicationResults> {
  let sotu: SotuResult[] = [];
  let spam: SpamResult[] = [];
  let lm: LanguageModelRun[] = [];
  const skipped: string[] = [];
  const failed: string[] = [];
  const missing: string[] = [];
  const outOfTime = (): boolean => options.deadline !== null && performance.now() > options.deadline;
  const { cells, classifierSeeds, lmSeeds } = settings;
  const { store = null, train = true } = options;

  /** The run from the store, or run now (and stored); null when it is not run (no training, or no time). */
  async function obtain<A extends ApplicationName>(
    application: A,
    seed: number,
    cell: LmCell | null,
    label: string,
    run: () => Promise<StoredRun<A>>,
  ): Promise<{ run: StoredRun<A>; stored: boolean } | null> {
    const stored = store?.get(application, settings, seed, cell) ?? null;
    if (stored) return { run: stored, stored: true };
    if (!train) {
      missing.push(label);
      return null;
    }
    if (outOfTime()) {
      (store ? missing : skipped).push(label);
      return null;
    }
    const made = await run();
    return { run: store ? store.put(application, settings, seed, cell, made) : made, stored: false };
  }
  const from = (stored: boolean): string => (stored ? ', from the trial store' : '');

  for (const seed of classifierSeeds) {
    const got = await obtain('sotu', seed, null, `sotu seed ${seed}`, async () => ({
      result: await sotuClassifier({ ...settings.sotu, cells, matchParameters: true, seed, verbose: 0 }),
      failure: null,
    }));
    if (!got) continue;
    const r = got.run.result!;
    sotu.push(r);
    for (const [cell, s] of Object.entries(r.scores)) {
      options.log(
        `sotu seed ${seed} ${cell}: held-out accuracy ${s.accuracy.toFixed(3)} (baseline ${r.majorityBaseline.toFixed(3)}, ${s.seconds.toFixed(1)} s${from(got.stored)})`,
      );
    }
  }
  for (const seed of classifierSeeds) {
    const got = await obtain('spam', seed, null, `spam seed ${seed}`, async () => ({
      result: await spamClassifier({ ...settings.spam, cells, matchParameters: true, seed, verbose: 0 }),
      failure: null,
    }));
    if (!got) continue;
    const r = got.run.result!;
    spam.push(r);
    for (const [cell, c] of Object.entries(r.cells)) {
      options.log(
        `spam seed ${seed} ${cell}: accuracy ${c.scores.accuracy.toFixed(3)}, F1 ${c.scores.f1.toFixed(3)} (baseline ${r.majorityBaseline.toFixed(3)}, ${c.seconds.toFixed(1)} s${from(got.stored)})`,
      );
    }
  }
  for (const seed of lmSeeds) {
    for (const cell of cells) {
      const label = `language model ${cell} seed ${seed}`;
      const got = await obtain('lm', seed, cell, label, async () => {
        try {
          return {
            result: await charModel({ ...settings.lm, cell, matchParameters: true, seed, verbose: false }),
            failure: null,
          };
        } catch (error) {
          // A diverged run is a result too (the cell did not train at this rate): recorded, not fatal.
          if (!(error instanceof TrainingDivergedError)) throw error;
          return { result: null, failure: error.message };
        }
      });
      if (!got) continue;
      const { result, failure } = got.run;
      if (failure !== null) {
        failed.push(`${label}: ${failure}`);
        options.log(failed[failed.length - 1]);
        continue;
      }
      lm.push({ seed, result });
      options.log(
        `language model seed ${seed} ${cell}: ${result.validationBpc.at(-1)!.toFixed(3)} bits per character (unigram ${result.unigramBpc.toFixed(3)}, ${result.seconds.toFixed(1)} s${from(got.stored)})`,
      );
    }
  }
  const notShown: string[] = [];
  if (store) {
    // Compared on all their declared seeds or not at all.
    const partial = (what: string, stored: number, of: number) =>
      notShown.push(`${what}: ${stored} of ${of} seeds stored`);
    if (sotu.length > 0 && sotu.length < classifierSeeds.length) {
      partial('State of the Union classifier', sotu.length, classifierSeeds.length);
      sotu = [];
    }
    if (spam.length > 0 && spam.length < classifierSeeds.length) {
      partial('spam classifier', spam.length, classifierSeeds.length);
      spam = [];
    }
    for (const cell of cells) {
      const done = lm.filter((r) => r.result.cell === cell).length;
      const diverged = failed.filter((f) => f.startsWith(`language model ${cell} seed `)).length;
      if (done > 0 && done + diverged < lmSeeds.length) {
        partial(`language model, ${cell}`, done + diverged, lmSeeds.length);
        lm = lm.filter((r) => r.result.cell !== cell);
      }
    }
  }
  return { settings, sotu, spam, lm, skipped, failed, missing, notShown };
}
