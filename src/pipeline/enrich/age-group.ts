/** Age groups for enrich: from an age in years, or a birth date and a reference day. */
import { parseDate } from '../values/parse-date.js';

/** A group: ages up to and including `max` (open-ended when absent). */
export interface AgeGroup {
  max?: number;
  label: string;
}

/** Marketing-style bands; the last is open-ended. */
export const DEFAULT_AGE_GROUPS: readonly AgeGroup[] = [
  { max: 12, label: 'child' },
  { max: 17, label: 'teen' },
  { max: 24, label: '18-24' },
  { max: 34, label: '25-34' },
  { max: 44, label: '35-44' },
  { max: 54, label: '45-54' },
  { max: 64, label: '55-64' },
  { label: '65+' },
];

/** Whole years between `birth` and `asOf` (UTC calendar days). */
export function ageOn(birth: Date, asOf: Date): number {
  let age = asOf.getUTCFullYear() - birth.getUTCFullYear();
  const before =
    asOf.getUTCMonth() < birth.getUTCMonth() ||
    (asOf.getUTCMonth() === birth.getUTCMonth() && asOf.getUTCDate() < birth.getUTCDate());
  if (before) age--;
  return age;
}

/** The age from a number or a birth date value, or undefined. */
export function ageFrom(age: unknown, birthDate: unknown, asOf: Date): number | undefined {
  if (typeof age === 'number' && Number.isFinite(age) && age >= 0 && age < 150)
    return Math.floor(age);
  const parsed = parseDate(birthDate);
  if (parsed === undefined) return undefined;
  const years = ageOn(parsed.date, asOf);
  return years >= 0 && years < 150 ? years : undefined;
}

/** The label of the first group `age` fits in. */
export function ageGroup(
  age: number,
  groups: readonly AgeGroup[] = DEFAULT_AGE_GROUPS,
): string | undefined {
  return groups.find((g) => g.max === undefined || age <= g.max)?.label;
}
