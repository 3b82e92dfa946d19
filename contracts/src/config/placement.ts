// ORCH-3130/3131/3132/3133: placement profiles in the config. A profile is an ordered list of
// registered plugins `{type, weight, params}`; each pool names one (`placement_profile`), and the
// built-in `default` (least-load 1, session-affinity 2, kv-headroom 0.25) is what a pool gets
// otherwise. Core builds the plugins (and checks each plugin's params); the gateway adds the
// `wasm-policy` type (a WASI policy plugin loaded from `params.path`).
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';

/** Every plugin type core and the gateway register (a test keeps the two lists equal). */
export const PLACEMENT_PLUGIN_TYPES = [
  'least-load',
  'session-affinity',
  'kv-headroom',
  'kv-utilization',
  'queue-depth',
  'prefix-cache',
  'round-robin',
  'max-score',
  'wasm-policy',
] as const;
export type PlacementPluginType = (typeof PLACEMENT_PLUGIN_TYPES)[number];

/** Plugin types that are pickers (no weight); every other type is a scorer. */
export const PLACEMENT_PICKERS: readonly PlacementPluginType[] = ['max-score'];

export const DEFAULT_PLACEMENT_PROFILE = 'default';

const ProfileName = Type.String({
  pattern: '^[a-z0-9][a-z0-9._-]{0,62}$',
  description: 'Lowercase profile name; `default` is the built-in profile.',
});

const PlacementPluginSchema = Type.Object(
  {
    type: Type.Unsafe<PlacementPluginType>({
      type: 'string',
      enum: [...PLACEMENT_PLUGIN_TYPES],
      description:
        'least-load (1 - busy fraction), session-affinity (1 on the session’s last replica), ' +
        'kv-headroom (1 - KV usage), kv-utilization and queue-depth (the sidecars’ load reports, ' +
        'normalised across candidates, ORCH-3132), prefix-cache (longest cached prompt prefix, ' +
        'ORCH-3131; params block_chars, blocks_per_replica, max_blocks, max_load_gap), ' +
        'round-robin (the next replica in id order that can take the task: a baseline), ' +
        'wasm-policy (a WASI policy, ORCH-3133; params path, fuel, budget_ms), max-score (picker).',
    }),
    weight: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1000,
        description: 'Scorers only (default 1): the score counts weight × [0,1].',
      }),
    ),
    params: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'Plugin parameters; each plugin refuses ones it does not know.',
      }),
    ),
  },
  { additionalProperties: false, description: 'One plugin of a placement profile (ORCH-3130).' },
);

const PlacementProfileSchema = Type.Object(
  {
    name: ProfileName,
    plugins: Type.Array(PlacementPluginSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);

export const PlacementSchema = Type.Object(
  {
    profiles: Type.Optional(
      Type.Array(PlacementProfileSchema, {
        default: [],
        description: 'Named profiles pools choose with placement_profile (ORCH-3130).',
      }),
    ),
  },
  { additionalProperties: false, description: 'Placement profiles (ORCH-3130).' },
);

export const PoolPlacementProfile = Type.String({
  pattern: '^[a-z0-9][a-z0-9._-]{0,62}$',
  default: DEFAULT_PLACEMENT_PROFILE,
  description: 'The placement profile of this pool (ORCH-3130); default `default`.',
});

export type PlacementPluginConfig = Static<typeof PlacementPluginSchema>;
export type PlacementProfileConfig = Static<typeof PlacementProfileSchema>;

/** Cross-field rules of the placement section; each issue names the bad field. */
export function placementIssues(
  profiles: readonly PlacementProfileConfig[],
  pools: readonly { placement_profile: string }[],
): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  const names = new Set<string>([DEFAULT_PLACEMENT_PROFILE]);
  profiles.forEach((p, n) => {
    const at = `placement.profiles[${n}]`;
    if (names.has(p.name)) {
      issues.push({
        path: `${at}.name`,
        message:
          p.name === DEFAULT_PLACEMENT_PROFILE
            ? '"default" is the built-in profile'
            : `duplicate profile name "${p.name}"`,
      });
    }
    names.add(p.name);
    let pickers = 0;
    p.plugins.forEach((plugin, i) => {
      const picker = PLACEMENT_PICKERS.includes(plugin.type);
      if (picker) pickers++;
      if (picker && plugin.weight !== undefined) {
        issues.push({ path: `${at}.plugins[${i}].weight`, message: 'a picker takes no weight' });
      }
    });
    if (pickers > 1) issues.push({ path: `${at}.plugins`, message: 'at most one picker' });
    if (pickers === p.plugins.length) issues.push({ path: `${at}.plugins`, message: 'no scorer' });
  });
  pools.forEach((pool, n) => {
    if (!names.has(pool.placement_profile)) {
      issues.push({
        path: `pools[${n}].placement_profile`,
        message: `no profile named "${pool.placement_profile}"`,
      });
    }
  });
  return issues;
}
