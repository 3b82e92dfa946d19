// `npm run build:policies`: compile the policy SDK's AssemblyScript policies to wasm.
import { buildPolicies } from './compile.js';

for (const path of await buildPolicies()) console.log(`built ${path}`);
