// ORCH-3130: placement profiles from config. A profile is an ordered list of registered plugins
// (`{type, weight, params}`); every profile starts with the required filters, scorers add up by
// weight, and the picker defaults to max-score. Each pool names its profile (default: `default`,
// the built-in profile that placement always had).
import { CoreError } from '../errors.js';
import type { PlacementWeights } from '../types.js';
import type {
  Filter,
  Picker,
  PlacementHooks,
  PlacementProfile,
  PluginFactory,
  ProfileSpec,
  WeightedScorer,
} from './plugins.js';
import { maxScore } from './pickers/max-score.js';
import { BUILTIN_PLUGINS, REQUIRED_FILTERS, defaultProfile } from './register.js';

const DEFAULT_PROFILE = 'default';

function invalid(message: string): CoreError {
  return new CoreError('INVALID_PARAMS', `placement: ${message}`);
}

export function buildProfile(
  spec: ProfileSpec,
  factories: Readonly<Record<string, PluginFactory>>,
): PlacementProfile {
  const filters: Filter[] = [...REQUIRED_FILTERS];
  const scorers: WeightedScorer[] = [];
  let picker: Picker | undefined;
  spec.plugins.forEach((p, i) => {
    const at = `profile ${spec.name} plugins[${i}]`;
    const factory = Object.hasOwn(factories, p.type) ? factories[p.type] : undefined;
    if (!factory) {
      throw invalid(
        `${at}: unknown plugin type ${p.type} (known: ${Object.keys(factories).join(', ')})`,
      );
    }
    const params = p.params ?? {};
    if (factory.kind !== 'scorer' && p.weight !== undefined) {
      throw invalid(`${at}: ${p.type} is a ${factory.kind}; only scorers take a weight`);
    }
    switch (factory.kind) {
      case 'filter':
        filters.push(factory.create(params));
        break;
      case 'picker':
        if (picker) throw invalid(`${at}: a profile has at most one picker`);
        picker = factory.create(params);
        break;
      case 'scorer': {
        const weight = p.weight ?? 1;
        if (!(Number.isFinite(weight) && weight >= 0)) {
          throw invalid(`${at}: weight must be a finite number >= 0`);
        }
        scorers.push({ scorer: factory.create(params), weight });
        break;
      }
    }
  });
  if (scorers.length === 0) throw invalid(`profile ${spec.name} has no scorer`);
  return { name: spec.name, filters, scorers, picker: picker ?? maxScore };
}

export interface PoolProfiles {
  /** Pool id → its profile. */
  readonly byPool: ReadonlyMap<string, PlacementProfile>;
  /** The built-in profile: what a pool falls back to when a scorer is out of service. */
  readonly fallback: PlacementProfile;
  /** Every plugin with cycle hooks, once each (replica events reach all of them). */
  readonly hooks: readonly PlacementHooks[];
}

export function buildPoolProfiles(
  specs: readonly ProfileSpec[],
  poolProfile: ReadonlyMap<string, string>,
  weights: PlacementWeights,
  extra: Readonly<Record<string, PluginFactory>> = {},
): PoolProfiles {
  const factories: Record<string, PluginFactory> = { ...BUILTIN_PLUGINS };
  for (const [type, f] of Object.entries(extra)) {
    if (Object.hasOwn(factories, type)) throw invalid(`plugin type ${type} is already registered`);
    factories[type] = f;
  }
  const fallback = defaultProfile(weights);
  const named = new Map<string, PlacementProfile>([[DEFAULT_PROFILE, fallback]]);
  const used = new Set<string>();
  for (const [, name] of poolProfile) used.add(name);
  for (const spec of specs) {
    if (named.has(spec.name)) throw invalid(`duplicate profile name ${spec.name}`);
    // Only profiles a pool uses are built, so an unused one holds no state; all are validated.
    const built = buildProfile(spec, factories);
    named.set(spec.name, used.has(spec.name) ? built : fallback);
  }
  const byPool = new Map<string, PlacementProfile>();
  for (const [poolId, name] of poolProfile) {
    const profile = named.get(name);
    if (!profile) throw invalid(`pool ${poolId} names unknown profile ${name}`);
    byPool.set(poolId, profile);
  }
  const hooks = new Set<PlacementHooks>();
  for (const profile of byPool.values()) {
    for (const { scorer } of profile.scorers) {
      if (scorer.extraCandidates || scorer.placed || scorer.forget || scorer.seen) {
        hooks.add(scorer);
      }
    }
  }
  return { byPool, fallback, hooks: [...hooks] };
}
