/**
 * Checking the training record a checkpoint carries (`metadata.training`, checkpoint.ts' TrainingState)
 * when a model is read: every field has its type and range, the carried states fit the layers, the
 * history holds numbers. A record that is present but malformed is refused with the field's name, so
 * `info` cannot fail on it half-way and `--resume` cannot start from it; fields added by later versions
 * are left alone.
 */
import { ValueError } from '../errors.js';

const SUBJECT = 'model';
type Fields = Record<string, unknown>;

function fail(field: string, expected: string, actual: unknown): never {
  const shown = typeof actual === 'object' ? JSON.stringify(actual)?.slice(0, 40) : String(actual);
  const path = field ? `metadata.training.${field}` : 'metadata.training';
  throw new ValueError(SUBJECT, `${path} is malformed`, expected, shown);
}

function integer(record: Fields, field: string, min: number): number {
  const v = record[field];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(field, `an integer ≥ ${min}`, v);
  return v;
}

function nonNegative(record: Fields, field: string): void {
  const v = record[field];
  if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) fail(field, 'a finite number ≥ 0', v);
}

function list(record: Fields, field: string): unknown[] {
  const v = record[field];
  if (!Array.isArray(v)) fail(field, 'an array', v === null ? 'null' : typeof v);
  return v;
}

/**
 * `training` is the record; `units` the units of each recurrent layer, in order (the carried states are
 * [batch · units] each).
 */
export function checkTrainingRecord(training: unknown, units: readonly number[]): void {
  if (typeof training !== 'object' || training === null || Array.isArray(training))
    fail('', 'an object', training === null ? 'null' : typeof training);
  const record = training as Fields;
  for (const field of ['corpus', 'corpusSha256', 'validationSha256']) {
    if (typeof record[field] !== 'string') fail(field, 'a string', record[field]);
  }
  const batch = integer(record, 'batch', 1);
  integer(record, 'seqLen', 1);
  integer(record, 'epoch', 0);
  integer(record, 'window', 0);
  for (const field of ['chars', 'seconds', 'epochNats', 'epochChars']) nonNegative(record, field);

  const rng = list(record, 'samplerRng');
  const wordsOk =
    rng.length === 5 &&
    rng.slice(0, 4).every((v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff) &&
    (rng[4] === null || typeof rng[4] === 'number');
  if (!wordsOk) fail('samplerRng', 'four uint32 words and a number or null', rng);

  const states = list(record, 'states');
  if (states.length !== 0 && states.length !== units.length)
    fail('states', `one entry per recurrent layer (${units.length})`, `${states.length} entries`);
  states.forEach((layerStates, i) => {
    if (layerStates === null) return;
    const size = batch * units[i];
    const ok =
      Array.isArray(layerStates) &&
      (layerStates.length === 1 || layerStates.length === 2) &&
      layerStates.every(
        (s) => Array.isArray(s) && s.length === size && s.every((v) => typeof v === 'number'),
      );
    if (!ok) fail(`states[${i}]`, `null, or [h] or [h, c] of ${batch} × ${units[i]} numbers`, layerStates);
  });

  list(record, 'history').forEach((entry, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      fail(`history[${i}]`, 'an object', entry);
    for (const field of ['epoch', 'chars', 'seconds']) {
      const v = (entry as Fields)[field];
      if (typeof v !== 'number') fail(`history[${i}].${field}`, 'a number', v);
    }
    // JSON keeps a NaN score as null.
    for (const field of ['trainBpc', 'validationBpc']) {
      const v = (entry as Fields)[field];
      if (typeof v !== 'number' && v !== null) fail(`history[${i}].${field}`, 'a number or null', v);
    }
  });
}
