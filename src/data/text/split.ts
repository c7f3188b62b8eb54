/**
 * Train/validation splits. Splitting by group keeps related examples together (all paragraphs of one
 * address on the same side), so validation measures generalisation to new groups, not memory.
 */
import { ConfigError } from '../../errors.js';
import { Random } from '../../random.js';

export interface Split {
  /** Indices of the training examples, in their original order. */
  readonly train: number[];
  readonly validation: number[];
}

function checkFraction(fraction: number): void {
  if (!(fraction > 0 && fraction < 1)) {
    throw new ConfigError('split', 'validation fraction must be in (0, 1)', '0 < fraction < 1', fraction);
  }
}

/** A seeded random split of `count` examples. */
export function randomSplit(count: number, fraction: number, seed: number): Split {
  checkFraction(fraction);
  const order = shuffled(count, new Random(seed));
  const nValidation = Math.max(1, Math.round(count * fraction));
  const isValidation = new Uint8Array(count);
  for (const i of order.slice(0, nValidation)) isValidation[i] = 1;
  return partition(count, (i) => isValidation[i] === 1);
}

/** A seeded split by group: whole groups go to validation until it holds about `fraction` of the examples. */
export function groupSplit(groups: readonly (string | number)[], fraction: number, seed: number): Split {
  checkFraction(fraction);
  const distinct = [...new Set(groups)];
  const order = shuffled(distinct.length, new Random(seed));
  const held = new Set<string | number>();
  let size = 0;
  const sizes = new Map<string | number, number>();
  for (const g of groups) sizes.set(g, (sizes.get(g) ?? 0) + 1);
  for (const k of order) {
    if (size >= fraction * groups.length || held.size === distinct.length - 1) break;
    held.add(distinct[k]);
    size += sizes.get(distinct[k])!;
  }
  return partition(groups.length, (i) => held.has(groups[i]));
}

/**
 * A seeded split by group, stratified by label: for each label, whole groups of that label go to
 * validation until it holds about `fraction` of that label's examples, so both sides keep the classes'
 * proportions (a plain group split can shift them a lot when groups are large, and then a majority-class
 * baseline means something different on each side). Every group must have one label.
 */
export function stratifiedGroupSplit(
  groups: readonly (string | number)[],
  labels: ArrayLike<number>,
  fraction: number,
  seed: number,
): Split {
  checkFraction(fraction);
  if (labels.length !== groups.length) {
    throw new ConfigError(
      'split',
      'labels and groups must have the same length',
      groups.length,
      labels.length,
    );
  }
  const labelOf = new Map<string | number, number>();
  groups.forEach((g, i) => {
    const seen = labelOf.get(g);
    if (seen !== undefined && seen !== labels[i]) {
      throw new ConfigError(
        'split',
        `group ${String(g)} has more than one label`,
        'one label per group',
        `${seen} and ${labels[i]}`,
      );
    }
    labelOf.set(g, labels[i]);
  });
  const held = new Set<string | number>();
  const classes = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  classes.forEach((label, k) => {
    const members = groups.filter((_, i) => labels[i] === label);
    // A class with a single group stays in training (it could not be on both sides anyway).
    if (new Set(members).size < 2) return;
    const { validation } = groupSplit(members, fraction, seed + k);
    for (const i of validation) held.add(members[i]);
  });
  return partition(groups.length, (i) => held.has(groups[i]));
}

function shuffled(n: number, rng: Random): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

function partition(count: number, inValidation: (i: number) => boolean): Split {
  const train: number[] = [];
  const validation: number[] = [];
  for (let i = 0; i < count; i++) (inValidation(i) ? validation : train).push(i);
  return { train, validation };
}
