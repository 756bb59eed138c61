/** Shared argument checks for `SlideSource.readRaw` implementations. */
import type { StoredLevel } from './types.js';

export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Throw a RangeError (a caller bug, not user input) unless `levelIndex` names a stored level and
 * `rect` is an integer rectangle of positive size lying wholly inside that level.
 */
export function validateReadRect(
  levels: readonly StoredLevel[],
  levelIndex: number,
  rect: Rect,
  what: string,
): StoredLevel {
  if (!Number.isInteger(levelIndex) || levelIndex < 0 || levelIndex >= levels.length) {
    throw new RangeError(
      `${what}: level ${String(levelIndex)} does not exist (stored levels are 0..${levels.length - 1})`,
    );
  }
  const level = levels[levelIndex] as StoredLevel;
  for (const key of ['left', 'top', 'width', 'height'] as const) {
    const v: unknown = rect[key];
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw new RangeError(`${what}: rect.${key} must be an integer, got ${String(v)}`);
    }
  }
  if (rect.width <= 0 || rect.height <= 0) {
    throw new RangeError(`${what}: rect size must be positive, got ${rect.width}x${rect.height}`);
  }
  if (rect.left < 0 || rect.top < 0 || rect.left + rect.width > level.width || rect.top + rect.height > level.height) {
    throw new RangeError(
      `${what}: rect [${rect.left}, ${rect.left + rect.width}) x [${rect.top}, ${rect.top + rect.height}) ` +
        `is outside level ${levelIndex} (${level.width}x${level.height})`,
    );
  }
  return level;
}
