import { defineConfig } from 'vitest/config';

// Three projects: fast unit tests beside the code; end-to-end suites against the real netns
// lab, which need root and run one file at a time (they share the kernel); and the built
// container images in the lab, outside `npm test` because building the images on a fresh
// machine takes minutes (run by `sudo bash scripts/images.sh test`).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['agent/**/*.test.ts', 'collector/**/*.test.ts', 'shared/**/*.test.ts', 'cli/**/*.test.ts', 'test/unit/**/*.test.ts'],
          exclude: ['**/node_modules/**', 'dist/**'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/lab/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'images',
          include: ['test/images/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
