/**
 * Sensitive keeps its value in a private field, which Jest's equality does not see: without this,
 * every two Sensitive values would be equal, and a test expecting one secret could pass on another.
 * Matched by shape, not `instanceof`, so a copy of the class loaded by another module registry counts.
 */
interface Revealing {
  reveal(): string;
}

function isSensitive(value: unknown): value is Revealing {
  return (
    typeof value === 'object' &&
    value !== null &&
    value.constructor?.name === 'Sensitive' &&
    typeof (value as Partial<Revealing>).reveal === 'function'
  );
}

type Tester = (a: unknown, b: unknown) => boolean | undefined;
// Jest 29.4+ has addEqualityTesters; @types/jest 29.5 does not declare it yet.
(expect as unknown as { addEqualityTesters(testers: Tester[]): void }).addEqualityTesters([
  (a, b) => {
    if (isSensitive(a) && isSensitive(b)) return a.reveal() === b.reveal();
    if (isSensitive(a) || isSensitive(b)) return false;
    return undefined;
  },
]);
