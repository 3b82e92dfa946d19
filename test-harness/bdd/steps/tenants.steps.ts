// Steps with API keys and tenants (ORCH-3035): key checks on both paths, task ownership, and WFQ
// weights on a saturated pool (ORCH-3075). Keys and weights come from support/stack-tweaks.ts.
import assert from 'node:assert/strict';
import { Then, When } from '@cucumber/cucumber';
import { recordTestKeys } from '@llama-orch/tools';
import { http, streamTask, taskBody } from '../support/api.js';
import { BDD_TENANTS } from '../support/stack-tweaks.js';
import type { OrchWorld } from '../support/world.js';

function keyOf(tenant: string): Record<string, string> {
  const t = BDD_TENANTS[tenant];
  assert.ok(t, `no tenant "${tenant}" in the BDD stack config`);
  return { 'x-api-key': t.key };
}

async function submitAs(
  w: OrchWorld,
  headers: Record<string, string>,
  overrides: Record<string, unknown> = {},
): Promise<string> {
  const body = taskBody(overrides);
  const id = String(body.task_id);
  w.submitted.add(id);
  w.response = await http('POST', `${w.stack.url}/v1/tasks`, body, undefined, headers);
  return id;
}

When('I submit a task with the API key {string}', async function (this: OrchWorld, key: string) {
  recordTestKeys([key]); // ORCH-3141: the run-wide log scan searches for it too
  await submitAs(this, { 'x-api-key': key });
});

When('tenant {string} submits a task', async function (this: OrchWorld, tenant: string) {
  this.taskId = await submitAs(this, keyOf(tenant), { max_tokens: 2 });
  assert.equal(this.response?.status, 202, this.response?.text);
});

When('I stream that task with the API key {string}', async function (this: OrchWorld, key: string) {
  recordTestKeys([key]);
  const t = await streamTask(this.stack.url, this.taskId, { 'x-api-key': key });
  this.response = { status: t.status, headers: new Headers(), text: t.text, json: {} };
  try {
    this.response.json = JSON.parse(t.text) as Record<string, unknown>;
  } catch {
    // An SSE transcript, not an envelope.
  }
});

When('tenant {string} cancels that task', async function (this: OrchWorld, tenant: string) {
  const url = `${this.stack.url}/v1/tasks/${this.taskId}/cancel`;
  this.response = await http('POST', url, undefined, undefined, keyOf(tenant));
});

// --- fairness on a saturated pool ----------------------------------------------------------
// The pool has one replica with one slot, so tasks run one at a time and the order in which
// streams open is the dispatch order. Every stream is attached before the first task finishes,
// so both tenants stay backlogged while the dispatches are counted.

When(
  'tenants {string} with weight {int} and {string} with weight {int} each keep {int} tasks queued',
  async function (this: OrchWorld, a: string, wa: number, b: string, wb: number, n: number) {
    for (const [t, w] of [
      [a, wa],
      [b, wb],
    ] as const) {
      assert.equal(BDD_TENANTS[t]?.weight, w, `the BDD stack gives tenant ${t} another weight`);
    }
    const tasks: { tenant: string; id: string }[] = [];
    for (let i = 0; i < n; i++) {
      for (const tenant of [a, b]) {
        const id = await submitAs(this, keyOf(tenant), { max_tokens: 2, prompt: 'Hi' });
        assert.equal(this.response?.status, 202, this.response?.text);
        tasks.push({ tenant, id });
      }
    }
    this.opened = [];
    this.fairTasks = tasks;
    // A longer task of tenant "default" holds the only slot while all the streams attach, so
    // every dispatch counted below is a choice between two backlogged tenants.
    const blocker = await submitAs(this, {}, { max_tokens: 32 });
    assert.equal(this.response?.status, 202, this.response?.text);
    const held = await holdSlot(`${this.stack.url}/v1/tasks/${blocker}/stream`);
    this.streams = tasks.map(async ({ tenant, id }) => {
      const res = await fetch(`${this.stack.url}/v1/tasks/${id}/stream`, {
        headers: keyOf(tenant),
      });
      const entry = { tenant, id, text: '' };
      this.opened.push(entry);
      entry.text = await res.text();
    });
    await new Promise((r) => setTimeout(r, 500)); // let every stream reach ext_proc and attach
    this.streams.push(held.done);
  },
);

/** Opens a stream and resolves once its first token arrived; `done` settles at its end. */
async function holdSlot(url: string): Promise<{ done: Promise<void> }> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.ok(res.body, 'stream has no body');
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const until = Date.now() + 60_000;
  while (!text.includes('event: token')) {
    assert.ok(Date.now() < until, `blocker produced no token: ${text.slice(0, 200)}`);
    const { done, value } = await reader.read();
    assert.ok(!done, `blocker ended before its first token: ${text.slice(0, 300)}`);
    text += decoder.decode(value, { stream: true });
  }
  const done = (async () => {
    while (!(await reader.read()).done) {
      // drain to the terminal event
    }
  })();
  return { done };
}

When('{int} tasks have been dispatched', async function (this: OrchWorld, k: number) {
  const until = Date.now() + 120_000;
  while (this.opened.length < k) {
    assert.ok(Date.now() < until, `only ${this.opened.length} of ${k} streams opened in 120 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // Enough dispatches seen: cancel what is still queued, then let every stream end.
  const seen = new Set(this.opened.slice(0, k).map((o) => o.id));
  for (const t of this.fairTasks) {
    if (seen.has(t.id)) continue;
    await http(
      'POST',
      `${this.stack.url}/v1/tasks/${t.id}/cancel`,
      undefined,
      undefined,
      keyOf(t.tenant),
    );
  }
  await Promise.race([Promise.allSettled(this.streams), new Promise((r) => setTimeout(r, 60_000))]);
  for (const o of this.opened.slice(0, k)) {
    assert.ok(
      o.text.startsWith('id: 0\nevent: started'),
      `stream ${o.id} was not a dispatch: ${o.text.slice(0, 200)}`,
    );
  }
});

Then(
  'tenant {string} got between {int} and {int} of them',
  function (this: OrchWorld, tenant: string, lo: number, hi: number) {
    const k = this.opened.filter((o) => o.text.startsWith('id: 0\nevent: started')).length;
    const order = this.opened.slice(0, Math.min(k, 8)).map((o) => o.tenant);
    const got = order.filter((t) => t === tenant).length;
    if (process.env.BDD_DEBUG) process.stderr.write(`dispatch order: ${order.join('')}\n`);
    assert.ok(
      got >= lo && got <= hi,
      `tenant ${tenant} got ${got}: dispatch order ${order.join('')}`,
    );
  },
);
