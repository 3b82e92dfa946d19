import { describe, expect, it } from 'vitest';
import { wrapperGoMod } from './go-module-build.js';
import {
  ETCD_BUILD,
  K8S_STAGING_MODULES,
  KUBE_APISERVER_BUILD,
} from './steps/kube-control-plane.js';
import { STEPS } from './steps/index.js';
import { TOXIPROXY_BUILD } from './steps/toxiproxy.js';

describe('ORCH-5001: control plane built from Go modules, cached by version', () => {
  it('ORCH-3110: kube-apiserver wrapper replaces every staging module with its v0 release', () => {
    const mod = wrapperGoMod(KUBE_APISERVER_BUILD);
    expect(mod).toContain('\tk8s.io/kubernetes v1.34.4\n');
    for (const m of K8S_STAGING_MODULES)
      expect(mod).toContain(`\tk8s.io/${m} => k8s.io/${m} v0.34.4\n`);
    expect(KUBE_APISERVER_BUILD.ldflagsX?.['k8s.io/component-base/version.gitVersion']).toBe(
      'v1.34.4',
    );
  });

  it('ORCH-3110: etcd requires its sibling modules at the same tag', () => {
    const mod = wrapperGoMod(ETCD_BUILD);
    for (const m of ['api/v3', 'client/pkg/v3', 'client/v3', 'pkg/v3', 'server/v3']) {
      expect(mod).toContain(`\tgo.etcd.io/etcd/${m} v3.6.6\n`);
    }
    expect(mod).not.toContain('replace');
  });

  it('ORCH-5001: both are bootstrap steps, after the quick downloads', () => {
    const ids = STEPS.map((s) => s.id);
    expect(ids.slice(-4)).toEqual(['etcd', 'kube-apiserver', 'kustomize', 'kube-crds']);
  });

  it('ORCH-5001: toxiproxy (chaos suite) is pinned, version-stamped and built before etcd', () => {
    const mod = wrapperGoMod(TOXIPROXY_BUILD);
    expect(mod).toContain('\tgithub.com/Shopify/toxiproxy/v2 v2.12.0\n');
    expect(TOXIPROXY_BUILD.ldflagsX?.['github.com/Shopify/toxiproxy/v2.Version']).toBe('2.12.0');
    const ids = STEPS.map((s) => s.id);
    expect(ids.indexOf('toxiproxy')).toBe(ids.indexOf('etcd') - 1);
  });
});
