import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{exporter,grafana,prometheus,k8s,ib-gateway,bench,docs}/**/*.test.ts'],
    // Integration suites open real sockets and child processes; give them room on a 2-core CI box.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Brings dist/ up to date for the suites that run the compiled exporter as a process.
    globalSetup: ['exporter/test/support/build.ts'],
  },
});
