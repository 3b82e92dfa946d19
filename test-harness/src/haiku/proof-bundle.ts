// Proof bundle of one haiku gate run (ORCH-5006): everything a reviewer needs to re-check the
// verdict by hand, written under .artifacts/haiku/ (git-ignored, so the repo scan never sees it).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const CPU_CARVE_OUT_LABEL =
  'CPU carve-out (ORCH-1101): CI-only run of the haiku gate on CPU with a small instruct model; ' +
  'production inference runs on NVIDIA GPUs.';

interface ProofBundle {
  runId: string;
  startedAt: string;
  minute: number;
  minuteWords: string;
  nonce: string;
  prompt: string;
  taskRequest: unknown;
  admission: unknown;
  sseTranscript: string;
  output: string;
  metricsBefore: string;
  metricsAfter: string;
  evidence: unknown;
  verdict: unknown;
}

/** Writes the bundle into `<root>/<runId>/` and returns that folder. */
export async function writeProofBundle(root: string, bundle: ProofBundle): Promise<string> {
  const dir = join(root, bundle.runId);
  await mkdir(dir, { recursive: true });
  const summary = {
    label: CPU_CARVE_OUT_LABEL,
    runId: bundle.runId,
    startedAt: bundle.startedAt,
    minute: bundle.minute,
    minuteWords: bundle.minuteWords,
    nonce: bundle.nonce,
    prompt: bundle.prompt,
    output: bundle.output,
    evidence: bundle.evidence,
    verdict: bundle.verdict,
  };
  await Promise.all([
    writeFile(join(dir, 'task-request.json'), `${JSON.stringify(bundle.taskRequest, null, 2)}\n`),
    writeFile(join(dir, 'admission.json'), `${JSON.stringify(bundle.admission, null, 2)}\n`),
    writeFile(join(dir, 'stream.sse'), bundle.sseTranscript),
    writeFile(join(dir, 'metrics-before.prom'), bundle.metricsBefore),
    writeFile(join(dir, 'metrics-after.prom'), bundle.metricsAfter),
    writeFile(join(dir, 'verdict.json'), `${JSON.stringify(summary, null, 2)}\n`),
  ]);
  return dir;
}

/** The gate's own verdict over all its attempts, written beside the attempt folders. */
export async function writeGateSummary(dir: string, summary: object): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'gate.json'),
    `${JSON.stringify({ label: CPU_CARVE_OUT_LABEL, ...summary }, null, 2)}\n`,
  );
}
