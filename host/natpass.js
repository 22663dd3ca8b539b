#!/usr/bin/env node
// The `natpass` bin (package.json "bin"; `npx natpass`, node_modules/.bin/natpass). The CLI is
// TypeScript: register tsx, resolved from this package rather than the caller's directory, then run
// host/cli.ts. Plain JavaScript so no loader is needed to start it; its mode is 755 in git.
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
