/** Tests are transformed with esbuild (fast, no type check: `tsc --noEmit` does that separately). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': '<rootDir>/test/support/esbuild-jest.js' },
  // Integration suites run real servers on loopback; keep them from fighting over 2 cores.
  maxWorkers: 2,
  testTimeout: 20000,
};
