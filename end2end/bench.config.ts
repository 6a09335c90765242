import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// The load-budget measurement (`bench/load-budget`): not a test, never part of `./test`.
export default defineConfig({ ...base, testDir: './bench', timeout: 600_000 });
