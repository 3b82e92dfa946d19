// The task log-field list comes from the spec's ORCH-3027 sentence, not from a copy (no stack).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SPEC_PATH, TASK_LOG_FIELDS, taskLogFieldsFromSpec } from './logs.js';

describe('ORCH-3027: the task log fields are read from the spec', () => {
  it('ORCH-3027: the list is every field the spec names, tenant and model_digest included', () => {
    expect(TASK_LOG_FIELDS).toContain('tenant');
    expect(TASK_LOG_FIELDS).toContain('model_digest');
    expect(TASK_LOG_FIELDS).toContain('correlation_id');
    expect(TASK_LOG_FIELDS).toContain('tokens_out');
    // Each name the list holds appears in backticks in the spec's ORCH-3027 section.
    const section = readFileSync(SPEC_PATH, 'utf8')
      .split(/^### /m)
      .find((s) => s.startsWith('ORCH-3027 '));
    for (const f of TASK_LOG_FIELDS) expect(section, f).toContain(`\`${f}\``);
    expect(new Set(TASK_LOG_FIELDS).size).toBe(TASK_LOG_FIELDS.length);
  });

  it('ORCH-3027: a spec that no longer states the sentence fails loudly instead of checking nothing', () => {
    expect(() => taskLogFieldsFromSpec('# spec\n')).toThrow(/no "### ORCH-3027" section/);
    expect(() =>
      taskLogFieldsFromSpec('### ORCH-3027 [MUST] Structured logs\n\nLogs are JSON.\n'),
    ).toThrow(/no longer says/);
    expect(
      taskLogFieldsFromSpec(
        '### ORCH-3027 [MUST] x\n\nLines about a task MUST carry `task_id` and\n`tenant` wherever known.\n\n### ORCH-3028 y\n`other`',
      ),
    ).toEqual(['task_id', 'tenant']);
  });
});
