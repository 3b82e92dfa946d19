import { describe, expect, it } from 'vitest';
import { ServedByLog } from './served-by.js';

const line = (replica: string, task: string, tokens: number): string =>
  `[sidecar-0] ${JSON.stringify({ level: 30, replica_id: replica, task_id: task, reason: 'length', tokens_out: tokens, msg: 'lease finished' })}\n`;

describe('ORCH-4015: which replica served a task, from the sidecars own lease-finished lines', () => {
  it('ORCH-4015: parses lease-finished lines split across chunks; ignores other lines', () => {
    const log = new ServedByLog();
    const text = `[placement] not json\n${line('pool-r1', 't1', 48)}[sidecar-1] {"msg":"other"}\n`;
    log.write(text.slice(0, 30));
    log.write(text.slice(30));
    expect(log.served('t1')).toEqual([
      { replicaId: 'pool-r1', taskId: 't1', reason: 'length', tokensOut: 48 },
    ]);
    expect(log.served('t2')).toEqual([]);
  });

  it('ORCH-4015: waitFor returns an empty list after its bound when no line comes', async () => {
    const log = new ServedByLog();
    expect(await log.waitFor('none', 50)).toEqual([]);
  });
});
