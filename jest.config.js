/** Tests are transformed with esbuild (fast, no type check: `tsc --noEmit` does that separately). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': '<rootDir>/test/support/esbuild-jest.js' },
  // Integration suites run real servers on loopback; keep them from fighting over 2 cores.
  maxWorkers: 2,
  testTimeout: 20000,
  // Every log line the harness's flaggers write is collected and checked for secrets after the last suite.
  // Sensitive values compare by what they hold, not as empty objects.
  setupFilesAfterEnv: ['<rootDir>/test/support/sensitive-equality.ts'],
  globalSetup: '<rootDir>/test/support/leak-setup.js',
  globalTeardown: '<rootDir>/test/support/leak-teardown.js',
  // `npm test` runs with --coverage: lib/ is held to these floors (V8's own coverage, which needs
  // no instrumenting transform). A run of a few suites (`npx jest test/unit`) checks none.
  coverageProvider: 'v8',
  collectCoverageFrom: ['lib/**/*.ts'],
  coverageReporters: ['text-summary'],
  coverageThreshold: { global: { lines: 95, statements: 95, branches: 90, functions: 85 } },
};
