// Toxiproxy (ORCH-5001: from the Go module proxy, built, cached by version): a TCP proxy whose
// links the chaos suite (test-harness/chaos/) cuts and slows between placement and the sidecars
// and between Envoy and the sidecars. Its REST API listens on loopback only.
import type { GoModuleBuild } from '../go-module-build.js';
import { goBinaryStep } from './kube-control-plane.js';

export const TOXIPROXY_VERSION = '2.12.0';

export const TOXIPROXY_BUILD: GoModuleBuild = {
  tool: 'toxiproxy',
  wrapperModule: 'llamaorch.local/toxiproxybuild',
  goVersion: '1.23.0',
  require: { 'github.com/Shopify/toxiproxy/v2': `v${TOXIPROXY_VERSION}` },
  mainPackage: 'github.com/Shopify/toxiproxy/v2/cmd/server',
  // Without it the binary reports version "git".
  ldflagsX: { 'github.com/Shopify/toxiproxy/v2.Version': TOXIPROXY_VERSION },
};

export const toxiproxyStep = goBinaryStep(
  TOXIPROXY_BUILD,
  TOXIPROXY_VERSION,
  'toxiproxy-server',
  ['-version'],
  `toxiproxy-server version ${TOXIPROXY_VERSION}`,
);
