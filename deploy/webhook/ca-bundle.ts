// Publishes the webhook's CA into its MutatingWebhookConfiguration (ORCH-3113) so the API server
// trusts the serving cert made at start. Read-modify-replace with the object's resourceVersion: a
// concurrent edit makes the replace fail (409) and the caller retries, nothing is overwritten.
import type { KubeConfig } from '@kubernetes/client-node';
import { AdmissionregistrationV1Api } from '@kubernetes/client-node';

export async function patchCaBundle(
  kc: KubeConfig,
  configName: string,
  caPem: string,
): Promise<number> {
  const api = kc.makeApiClient(AdmissionregistrationV1Api);
  const caBundle = Buffer.from(caPem).toString('base64');
  for (let attempt = 1; ; attempt++) {
    const cfg = await api.readMutatingWebhookConfiguration({ name: configName });
    for (const w of cfg.webhooks ?? []) w.clientConfig.caBundle = caBundle;
    try {
      await api.replaceMutatingWebhookConfiguration({ name: configName, body: cfg });
      return (cfg.webhooks ?? []).length;
    } catch (e) {
      if (attempt >= 5) throw e;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}
