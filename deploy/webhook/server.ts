// HTTP surface of the injection webhook: POST /mutate takes an AdmissionReview and answers with
// the decision from inject.ts; /healthz for probes. TLS is the caller's choice (webhook.ts serves
// HTTPS in a cluster; unit tests use fastify inject).
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import Fastify from 'fastify';
import type { InjectorConfig } from './inject.js';
import { decide } from './inject.js';
import type { AdmissionResponse, AdmissionReview } from './pod-types.js';

interface WebhookServerOptions {
  injector: InjectorConfig;
  https?: { key: string; cert: string };
  log?: (msg: string) => void;
}

/** The AdmissionReview answer for one request (also used directly by tests). */
export function review(
  req: AdmissionReview,
  cfg: InjectorConfig,
): { response: AdmissionResponse; outcome: string } {
  const r = req.request;
  if (r === undefined || typeof r.uid !== 'string') {
    throw new Error('AdmissionReview without request.uid');
  }
  const pod = r.object;
  if (r.kind?.kind !== 'Pod' || pod === undefined) {
    return { response: { uid: r.uid, allowed: true }, outcome: 'skip: not a Pod' };
  }
  const d = decide(pod, cfg);
  switch (d.kind) {
    case 'skip':
      return { response: { uid: r.uid, allowed: true }, outcome: `skip: ${d.reason}` };
    case 'deny':
      return {
        response: {
          uid: r.uid,
          allowed: false,
          status: { code: 403, reason: 'Forbidden', message: d.message },
        },
        outcome: `deny: ${d.message}`,
      };
    case 'inject':
      return {
        response: {
          uid: r.uid,
          allowed: true,
          patchType: 'JSONPatch',
          patch: Buffer.from(JSON.stringify(d.patch)).toString('base64'),
        },
        outcome: 'inject',
      };
  }
}

export function buildWebhookServer(opts: WebhookServerOptions): FastifyInstance {
  const serverOpts: FastifyServerOptions & { https?: { key: string; cert: string } } = {
    logger: false,
    bodyLimit: 8 * 1024 * 1024, // a Pod with large env/annotations still fits
  };
  if (opts.https !== undefined) serverOpts.https = opts.https;
  const app = Fastify(serverOpts) as unknown as FastifyInstance;
  const log = opts.log ?? (() => undefined);
  app.get('/healthz', (_req, reply) => reply.send({ status: 'ok' }));
  app.post('/mutate', (req, reply) => {
    const body = req.body as AdmissionReview;
    let answer: ReturnType<typeof review>;
    try {
      answer = review(body, opts.injector);
    } catch (e) {
      return reply.code(400).send({ error: (e as Error).message });
    }
    const obj = body.request?.object?.metadata;
    // Names only: pod specs may carry secrets in env and are never logged.
    log(
      `${body.request?.operation ?? '?'} pod ${body.request?.namespace ?? '?'}/${obj?.name ?? obj?.generateName ?? '?'}: ${answer.outcome}`,
    );
    return reply.send({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: answer.response,
    });
  });
  return app;
}
