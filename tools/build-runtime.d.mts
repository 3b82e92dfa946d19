// Types of tools/build-runtime.mjs for TypeScript callers (tests that check what runs the bundles).

/** One production entry point: its source and the bundle the runtime starts (repo-relative). */
export interface RuntimeEntry {
  readonly name: 'placement' | 'sidecar' | 'envoy-bootstrap' | 'webhook' | 'up';
  readonly source: string;
  readonly bundle: string;
}

export declare const RUNTIME_ENTRIES: readonly RuntimeEntry[];
