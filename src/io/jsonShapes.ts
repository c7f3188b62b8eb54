/**
 * The shape checks a reader of parsed JSON makes before it trusts a field: an object, an array. Shared by
 * our own format's decoder (decode.ts) and the readers of files we wrote in other formats (interop/onnx).
 */
import { ValueError } from '../errors.js';

/** `value` as an object (not null, not an array), or a ValueError from `subject` naming `what`. */
export function jsonObject(subject: string, value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValueError(
      subject,
      `${what} must be an object`,
      'an object',
      value === null ? 'null' : typeof value,
    );
  }
  return value as Record<string, unknown>;
}

/** `value` as an array, or a ValueError from `subject` naming `what`. */
export function jsonArray(subject: string, value: unknown, what: string): unknown[] {
  if (!Array.isArray(value))
    throw new ValueError(subject, `${what} must be an array`, 'an array', typeof value);
  return value;
}
