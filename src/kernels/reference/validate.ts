/**
 * Input checks shared by the kernels: each failure is a typed error naming the cell, the array, the
 * expected and the actual value, thrown before any work starts (never a NaN or a stack trace from inside).
 */
import { ShapeError, ValueError } from '../../errors.js';
import type { CellKernel, Params } from './cell.js';
import type { Float } from './floats.js';

export function checkSizes(label: string, sizes: Record<string, number>): void {
  for (const [name, value] of Object.entries(sizes)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new ShapeError(label, `${name} must be a positive integer`, 'an integer ≥ 1', value);
    }
  }
}

export function checkLength(
  label: string,
  name: string,
  array: ArrayLike<number>,
  expected: number,
  formula: string,
): void {
  if (array.length !== expected) {
    throw new ShapeError(
      label,
      `${name} has the wrong number of values`,
      `${formula} = ${expected}`,
      array.length,
    );
  }
}

export function checkSameType(label: string, name: string, array: Float, like: Float): void {
  if (array.constructor !== like.constructor) {
    throw new ShapeError(
      label,
      `${name} has a different precision from x (mixing float32 and float64)`,
      like.constructor.name,
      array.constructor.name,
    );
  }
}

export function checkFinite(label: string, name: string, array: ArrayLike<number>): void {
  for (let i = 0; i < array.length; i++) {
    if (!Number.isFinite(array[i])) {
      throw new ValueError(label, `${name}[${i}] is not finite`, 'a finite number', array[i]);
    }
  }
}

/**
 * Every weight the cell declares is present, of the right length and precision, and (weights, unless
 * `finite` is false: the caller checks the values itself) finite.
 */
export function checkParams(
  cell: CellKernel,
  p: Params,
  like: Float,
  what = 'weight',
  finite = what === 'weight',
): void {
  for (const { name, shape } of cell.weights) {
    const array = p[name];
    const expected = shape.reduce((a, b) => a * b, 1);
    if (!array)
      throw new ShapeError(cell.label, `${what} '${name}' is missing`, `[${shape.join(', ')}]`, 'nothing');
    checkSameType(cell.label, `${what} '${name}'`, array, like);
    if (array.length !== expected) {
      throw new ShapeError(
        cell.label,
        `${what} '${name}' has the wrong size`,
        `[${shape.join(', ')}] = ${expected} values`,
        `${array.length} values`,
      );
    }
    if (finite) checkFinite(cell.label, `${what} '${name}'`, array);
  }
}
