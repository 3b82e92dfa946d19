// What the shipped objects say, checked without a cluster (ORCH-3110, ORCH-3114); the
// apiserver test applies them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  V1ConfigMap,
  V1Deployment,
  V1MutatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { parseConfig } from '@llama-orch/contracts';
import { llamaCppDeterminismFindings } from '@llama-orch/sidecar/llamacpp-args';
import { describe, expect, it } from 'vitest';
import { RUNTIME_ENTRIES } from '../../tools/build-runtime.mjs';
import { PLACEMENT_ENV, PLACEMENT_NODE_FLAGS } from '@llama-orch/test-harness';
import { DEFAULT_SIDECAR_COMMAND } from '../webhook/inject.js';
import { DEPLOY_DIR, kustomizeBuild } from './support/kustomize.js';

describe('ORCH-3110: deploy/ manifests', () => {
  it('ORCH-3110: every node command (Deployments, images, the injected sidecar) runs a bundle tools/build-runtime.mjs builds, never tsx', async () => {
    const bundles = new Set(RUNTIME_ENTRIES.map((e) => e.bundle));
    const commands: [string, readonly string[]][] = [
      ['webhook injected sidecar', DEFAULT_SIDECAR_COMMAND],
    ];
    for (const d of (await kustomizeBuild('base')).filter(
      (o) => o.kind === 'Deployment',
    ) as V1Deployment[]) {
      const spec = d.spec?.template.spec;
      for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
        if (c.command?.[0] === 'node') commands.push([`${d.metadata?.name}/${c.name}`, c.command]);
      }
    }
    for (const image of ['placement', 'sidecar', 'webhook']) {
      const file = readFileSync(join(DEPLOY_DIR, `docker/${image}.Dockerfile`), 'utf8');
      const entry = /^ENTRYPOINT (\[.*\])$/m.exec(file)?.[1];
      expect(entry, `${image}.Dockerfile ENTRYPOINT`).toBeDefined();
      commands.push([`${image}.Dockerfile`, JSON.parse(entry ?? '[]') as string[]]);
    }
    // placement and its init container, the webhook, three images, the injected sidecar.
    expect(commands.length).toBeGreaterThanOrEqual(7);
    for (const [what, argv] of commands) {
      expect(argv, what).not.toContain('tsx');
      // node, its own flags, the bundle: nothing after it.
      const flags = argv.slice(1, -1);
      expect(
        flags.every((f) => f.startsWith('--')),
        what,
      ).toBe(true);
      expect(bundles.has(argv.at(-1) ?? ''), `${what}: ${argv.join(' ')}`).toBe(true);
      // Issue 19: placement runs with the node flags the local stack measured it with.
      if (argv.at(-1) === 'gateway/dist/main.mjs')
        expect(flags, what).toEqual(PLACEMENT_NODE_FLAGS);
    }
  });

  it('issue 19: the placement image and Deployment set the environment the local stack measured placement with', async () => {
    const dockerfile = readFileSync(join(DEPLOY_DIR, 'docker/placement.Dockerfile'), 'utf8');
    const container = (
      (await kustomizeBuild('base')).filter((o) => o.kind === 'Deployment') as V1Deployment[]
    )
      .flatMap((d) => d.spec?.template.spec?.containers ?? [])
      .find((c) => c.name === 'placement');
    expect(container, 'placement Deployment').toBeDefined();
    expect(Object.keys(PLACEMENT_ENV).length).toBeGreaterThan(0);
    for (const [name, value] of Object.entries(PLACEMENT_ENV)) {
      expect(dockerfile, `placement.Dockerfile ENV ${name}`).toMatch(
        new RegExp(`^ENV ${name}=${value}$`, 'm'),
      );
      expect(
        container?.env?.find((e) => e.name === name)?.value,
        `placement Deployment env ${name}`,
      ).toBe(value);
    }
  });

  it('ORCH-3030: the placement ConfigMap holds a config that parseConfig accepts', async () => {
    const objs = await kustomizeBuild('base');
    const cm = objs.find((o) => o.kind === 'ConfigMap') as V1ConfigMap;
    const text = cm.data?.['config.yaml'] ?? '';
    expect(text).toBe(readFileSync(join(DEPLOY_DIR, 'base/placement/config.yaml'), 'utf8'));
    const cfg = parseConfig(text, 'deploy/base/placement/config.yaml');
    expect(cfg.auth.required).toBe(true);
    expect(cfg.pools.map((p) => p.determinism)).toEqual(['strict']);
  });

  it('ORCH-3110: every container runs non-root, read-only, without capabilities', async () => {
    for (const dir of ['base', 'overlays/dev', 'overlays/production']) {
      for (const d of (await kustomizeBuild(dir)).filter(
        (o) => o.kind === 'Deployment',
      ) as V1Deployment[]) {
        const spec = d.spec?.template.spec;
        expect(spec?.securityContext?.runAsNonRoot, `${dir} ${d.metadata?.name}`).toBe(true);
        for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
          const what = `${dir} ${d.metadata?.name}/${c.name}`;
          expect(c.securityContext?.readOnlyRootFilesystem, what).toBe(true);
          expect(c.securityContext?.allowPrivilegeEscalation, what).toBe(false);
          expect(c.securityContext?.capabilities?.drop, what).toEqual(['ALL']);
          expect(c.resources?.limits?.memory, what).toBeDefined();
        }
      }
    }
  });

  it('ORCH-3114: the webhook configuration: Fail, labelled pods only, CREATE only', async () => {
    const mwc = (await kustomizeBuild('base')).find(
      (o) => o.kind === 'MutatingWebhookConfiguration',
    ) as V1MutatingWebhookConfiguration;
    const w = mwc.webhooks?.[0];
    expect(w?.failurePolicy).toBe('Fail');
    expect(w?.sideEffects).toBe('None');
    expect(w?.reinvocationPolicy).toBe('Never');
    expect(w?.objectSelector?.matchExpressions).toEqual([
      { key: 'llama-orch.io/engine', operator: 'Exists' },
    ]);
    expect(w?.rules?.[0]?.operations).toEqual(['CREATE']);
    expect(w?.clientConfig.service).toEqual(
      expect.objectContaining({
        name: 'llama-orch-webhook',
        namespace: 'llama-orch',
        path: '/mutate',
      }),
    );
  });

  it('ORCH-3111: the example worker carries the label, annotations and determinism flags', async () => {
    const w = (await kustomizeBuild('overlays/dev')).find(
      (o) => o.kind === 'Deployment' && o.metadata?.name === 'llama-worker',
    ) as V1Deployment;
    const t = w.spec?.template;
    expect(t?.metadata?.labels?.['llama-orch.io/engine']).toBe('llamacpp');
    expect(t?.metadata?.annotations?.['llama-orch.io/pool']).toBe('chat');
    const c = t?.spec?.containers[0];
    expect(c?.resources?.limits?.['nvidia.com/gpu']).toBe(1);
    // The webhook would deny it otherwise: the sidecar's own determinism rules find nothing.
    expect(llamaCppDeterminismFindings([...(c?.command ?? []), ...(c?.args ?? [])])).toEqual([]);
  });
});
