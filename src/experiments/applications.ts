/**
 * The seeds' own models in the comparison: the two classifiers (seed 000, State of the Union by party;
 * seed 002, spam) and the character language model (seed 004), each run for every compared cell on the
 * same data, the same budget (epochs) and the same settings, at equal parameter counts — so that the
 * report answers the seed's question on real data as well as on the 1997 tasks.
 *
 * No learning-rate search here: each application has one declared rate, the same for every cell, so no
 * cell gets more tuning than another.
 */
import { charModel, type CharModelOptions, type CharModelResult } from '../applications/charModel.js';
import { sotuClassifier, type SotuOptions, type SotuResult } from '../applications/sotuClassifier.js';
import { spamClassifier, type SpamOptions, type SpamResult } from '../applications/spamClassifier.js';
import { TrainingDivergedError, type LmCell } from '../lm/index.js';

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
}

export interface ApplicationRunOptions {
  /** performance.now() after which no further run starts; null: no limit. */
  readonly deadline: number | null;
  readonly log: (line: string) => void;
}

export async function runApplications(
  settings: ApplicationSettings,
  options: ApplicationRunOptions,
): Promise<ApplicationResults> {
  const sotu: SotuResult[] = [];
  const spam: SpamResult[] = [];
  const lm: LanguageModelRun[] = [];
  const skipped: string[] = [];
  const failed: string[] = [];
  const outOfTime = (): boolean => options.deadline !== null && performance.now() > options.deadline;
  const { cells } = settings;

  for (const seed of settings.classifierSeeds) {
    if (outOfTime()) {
      skipped.push(`sotu seed ${seed}`);
      continue;
    }
    const r = await sotuClassifier({ ...settings.sotu, cells, matchParameters: true, seed, verbose: 0 });
    sotu.push(r);
    for (const [cell, s] of Object.entries(r.scores)) {
      options.log(
        `sotu seed ${seed} ${cell}: held-out accuracy ${s.accuracy.toFixed(3)} (baseline ${r.majorityBaseline.toFixed(3)}, ${s.seconds.toFixed(1)} s)`,
      );
    }
  }
  for (const seed of settings.classifierSeeds) {
    if (outOfTime()) {
      skipped.push(`spam seed ${seed}`);
      continue;
    }
    const r = await spamClassifier({ ...settings.spam, cells, matchParameters: true, seed, verbose: 0 });
    spam.push(r);
    for (const [cell, c] of Object.entries(r.cells)) {
      options.log(
        `spam seed ${seed} ${cell}: accuracy ${c.scores.accuracy.toFixed(3)}, F1 ${c.scores.f1.toFixed(3)} (baseline ${r.majorityBaseline.toFixed(3)}, ${c.seconds.toFixed(1)} s)`,
      );
    }
  }
  for (const seed of settings.lmSeeds) {
    for (const cell of cells) {
      if (outOfTime()) {
        skipped.push(`language model ${cell} seed ${seed}`);
        continue;
      }
      let result: CharModelResult;
      try {
        result = await charModel({ ...settings.lm, cell, matchParameters: true, seed, verbose: false });
      } catch (error) {
        // A diverged run is a result too (the cell did not train at this rate): recorded, not fatal.
        if (!(error instanceof TrainingDivergedError)) throw error;
        failed.push(`language model ${cell} seed ${seed}: ${error.message}`);
        options.log(failed[failed.length - 1]);
        continue;
      }
      lm.push({ seed, result });
      options.log(
        `language model seed ${seed} ${cell}: ${result.validationBpc.at(-1)!.toFixed(3)} bits per character (unigram ${result.unigramBpc.toFixed(3)}, ${result.seconds.toFixed(1)} s)`,
      );
    }
  }
  return { settings, sotu, spam, lm, skipped, failed };
}
