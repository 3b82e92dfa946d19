// Steps with several tasks at once: fairness bounds and determinism.
import assert from 'node:assert/strict';
import { Then, When } from '@cucumber/cucumber';
import { http, streamTask, taskBody } from '../support/api.js';
import type { OrchWorld } from '../support/world.js';

const tokensOf = (w: OrchWorld, i: number): string =>
  (w.transcripts[i]?.events ?? [])
    .filter((e) => e.event === 'token')
    .map((e) => String(e.data.t))
    .join('');

When(
  'I submit {int} interactive tasks and stream them all at once',
  async function (this: OrchWorld, n: number) {
    const bodies = Array.from({ length: n }, () => taskBody({ max_tokens: 4 }));
    for (const b of bodies) {
      this.submitted.add(String(b.task_id));
      const r = await http('POST', `${this.stack.url}/v1/tasks`, b);
      assert.equal(r.status, 202, r.text);
    }
    this.transcripts = await Promise.all(
      bodies.map((b) => streamTask(this.stack.url, String(b.task_id))),
    );
  },
);

When('I submit {int} tasks without streaming them', async function (this: OrchWorld, n: number) {
  this.named.clear();
  for (let i = 0; i < n; i++) {
    const body = taskBody();
    this.submitted.add(String(body.task_id));
    const r = await http('POST', `${this.stack.url}/v1/tasks`, body);
    assert.equal(r.status, 202, r.text);
    this.named.set(String(i), r.json);
  }
});

Then(
  'their queue positions are {int}, {int} and {int}',
  async function (this: OrchWorld, a: number, b: number, c: number) {
    const got = [...this.named.values()].map((j) => j.queue_position);
    assert.deepEqual(got, [a, b, c]);
  },
);

Then(
  'every stream ends with reason {string} or {string}',
  function (this: OrchWorld, a: string, b: string) {
    assert.ok(this.transcripts.length > 0);
    for (const t of this.transcripts) {
      const e = t.events.at(-1);
      assert.equal(e?.event, 'end', t.text.slice(0, 300));
      assert.ok([a, b].includes(String(e?.data.reason)), JSON.stringify(e));
    }
  },
);

Then(
  'every started event reports a queue position below {int}',
  function (this: OrchWorld, n: number) {
    for (const t of this.transcripts) {
      const s = t.events.find((e) => e.event === 'started');
      assert.ok(s, 'no started event');
      assert.ok(Number(s.data.queue_position) < n, JSON.stringify(s));
    }
  },
);

When(
  'I run the prompt {string} with seed {int} and determinism {string} twice',
  async function (this: OrchWorld, prompt: string, seed: number, determinism: string) {
    this.transcripts = [];
    for (let i = 0; i < 2; i++) {
      const body = taskBody({ prompt, seed, determinism, max_tokens: 8 });
      this.submitted.add(String(body.task_id));
      const r = await http('POST', `${this.stack.url}/v1/tasks`, body);
      assert.equal(r.status, 202, r.text);
      this.transcripts.push(await streamTask(this.stack.url, String(body.task_id)));
    }
  },
);

Then('both token streams are byte-identical', function (this: OrchWorld) {
  const a = tokensOf(this, 0);
  assert.ok(a.length > 0, 'no tokens to compare');
  assert.equal(tokensOf(this, 1), a);
});

Then(
  'both streams end with reason {string} or {string}',
  function (this: OrchWorld, a: string, b: string) {
    assert.equal(this.transcripts.length, 2);
    for (const t of this.transcripts) {
      assert.ok([a, b].includes(String(t.events.at(-1)?.data.reason)), t.text.slice(0, 300));
    }
  },
);
