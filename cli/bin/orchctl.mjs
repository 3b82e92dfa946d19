#!/usr/bin/env node
// `orchctl` bin: runs the TypeScript entry through tsx (a root devDependency of this repo).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
