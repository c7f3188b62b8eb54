/**
 * The copy task (Arjovsky, Shah & Bengio 2016): remember 10 symbols across a delay of T steps.
 *
 * Inputs (one-hot, 10 classes): 0 = blank, 1–8 = symbols, 9 = delimiter. A sequence of length T + 20 is
 * 10 random symbols, T − 1 blanks, the delimiter, then 10 blanks. The target at every step (9 classes,
 * 0 = blank, 1–8 = symbols) is blank, except the last 10 steps, which must repeat the 10 symbols.
 * A memoryless strategy (blanks, then a uniform guess) scores 10·ln 8 / (T + 20) nats per step.
 */
import type { Random } from '../../random.js';
import { allocTaskData, type TaskData } from './taskData.js';

export const COPY_SYMBOLS = 8;
export const COPY_LENGTH = 10;
const BLANK = 0;
const DELIMITER = 9;

export function copyBaselineNats(T: number): number {
  return (COPY_LENGTH * Math.log(COPY_SYMBOLS)) / (T + 2 * COPY_LENGTH);
}

export function copyTask(count: number, T: number, rng: Random): TaskData {
  if (!Number.isInteger(T) || T < 1) throw new RangeError(`copy: T must be a positive integer, got ${T}`);
  const L = T + 2 * COPY_LENGTH;
  const data = allocTaskData(new Int32Array(count).fill(L), 10, 9, 'every-step');
  for (let n = 0; n < count; n++) {
    const input = new Array<number>(L).fill(BLANK);
    const target = new Array<number>(L).fill(BLANK);
    for (let k = 0; k < COPY_LENGTH; k++) {
      input[k] = 1 + rng.int(COPY_SYMBOLS);
      target[L - COPY_LENGTH + k] = input[k];
    }
    input[T + COPY_LENGTH - 1] = DELIMITER;
    for (let t = 0; t < L; t++) {
      data.x[(n * L + t) * 10 + input[t]] = 1;
      data.y[(n * L + t) * 9 + target[t]] = 1;
    }
  }
  return data;
}
