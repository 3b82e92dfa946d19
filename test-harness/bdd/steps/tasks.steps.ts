// Steps on tasks through the public edge: submit, stream, cancel, admission and backpressure.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Given, Then, When } from '@cucumber/cucumber';
import {
  hook,
  http,
  streamAndCancelAfterFirstToken,
  streamTask,
  taskBody,
} from '../support/api.js';
import type { Transcript } from '../support/api.js';
import type { OrchWorld } from '../support/world.js';

async function submit(w: OrchWorld, overrides: Record<string, unknown> = {}): Promise<void> {
  const body = taskBody(overrides);
  w.named.set('last', body);
  w.taskId = String(body.task_id);
  w.submitted.add(w.taskId);
  w.response = await http('POST', `${w.stack.url}/v1/tasks`, body);
}

function last(w: OrchWorld): Transcript {
  const t = w.transcripts.at(-1);
  assert.ok(t, 'no stream was read');
  return t;
}

function terminal(t: Transcript): { event: string; data: Record<string, unknown> } {
  const e = t.events.at(-1);
  assert.ok(e, `stream had no events (status ${t.status}): ${t.text.slice(0, 200)}`);
  return e;
}

// A precondition, not the readiness test: the previous scenario may have left the replica
// finishing a canceled stream or re-registering after a reload, which a heartbeat (1 s) settles.
// Waits at most 3 heartbeats and says so in the output when it had to wait.
Given('the stack is up with a Ready pool', async function (this: OrchWorld) {
  const started = Date.now();
  for (;;) {
    const r = await http('GET', `${this.stack.url}/v1/pools/${this.stack.poolId}/health`);
    assert.equal(r.status, 200, r.text);
    if (r.json.ready === true) {
      const waited = Date.now() - started;
      if (waited >= 100) this.log(`pool Ready after ${waited} ms`);
      return;
    }
    assert.ok(Date.now() - started < 3_000, `pool not Ready within 3 s: ${r.text}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

When('I submit a task', async function (this: OrchWorld) {
  await submit(this);
});

When('I submit a task without a seed', async function (this: OrchWorld) {
  const body = taskBody();
  delete body.seed;
  this.taskId = String(body.task_id);
  this.submitted.add(this.taskId);
  this.response = await http('POST', `${this.stack.url}/v1/tasks`, body);
});

When(
  /^I submit a task with (\w+) set to (.+)$/,
  async function (this: OrchWorld, field: string, value: string) {
    await submit(this, { [field]: JSON.parse(value) as unknown });
  },
);

When('I submit the same task again', async function (this: OrchWorld) {
  this.response = await http('POST', `${this.stack.url}/v1/tasks`, this.named.get('last'));
});

When('I cancel the task', async function (this: OrchWorld) {
  this.response = await http('POST', `${this.stack.url}/v1/tasks/${this.taskId}/cancel`);
});

When('I cancel a task that does not exist', async function (this: OrchWorld) {
  this.response = await http('POST', `${this.stack.url}/v1/tasks/${randomUUID()}/cancel`);
});

When('I stream the task', async function (this: OrchWorld) {
  this.transcripts.push(await streamTask(this.stack.url, this.taskId));
});

When('I stream the task and cancel it after the first token', async function (this: OrchWorld) {
  this.transcripts.push(await streamAndCancelAfterFirstToken(this.stack.url, this.taskId));
});

Then('the response status is {int}', function (this: OrchWorld, status: number) {
  assert.equal(this.response?.status, status, this.response?.text);
});

Then('the error code is {string}', function (this: OrchWorld, code: string) {
  assert.equal(this.response?.json.code, code, this.response?.text);
});

Then(
  'the admission response carries queue_position and predicted_start_ms',
  function (this: OrchWorld) {
    const j = this.response?.json ?? {};
    assert.equal(j.task_id, this.taskId);
    assert.equal(typeof j.queue_position, 'number');
    assert.equal(typeof j.predicted_start_ms, 'number');
  },
);

Then(
  'the response carries the headers {string} and {string}',
  function (this: OrchWorld, a: string, b: string) {
    for (const name of [a, b]) {
      assert.match(
        this.response?.headers.get(name) ?? '',
        /^\d+$/,
        `${name} missing or not a number`,
      );
    }
  },
);

Then('the error names its policy and a retry time', function (this: OrchWorld) {
  const j = this.response?.json ?? {};
  assert.equal(typeof j.policy_label, 'string');
  assert.ok(Number(j.retry_after_ms) > 0, this.response?.text);
});

Given('the interactive queue is full', async function (this: OrchWorld) {
  const r = await hook(this.stack.restUrl, { op: 'fill-queue', template: taskBody() });
  assert.equal(r.code, 'ADMISSION_REJECT');
});

Given('the queue has room again', async function (this: OrchWorld) {
  await hook(this.stack.restUrl, { op: 'reset' });
});

Then('the stream ends with reason {string}', function (this: OrchWorld, reason: string) {
  const e = terminal(last(this));
  assert.equal(e.event, 'end', JSON.stringify(e));
  assert.equal(e.data.reason, reason);
});

Then(
  'the stream ends with reason {string} or {string}',
  function (this: OrchWorld, a: string, b: string) {
    const e = terminal(last(this));
    assert.equal(e.event, 'end', JSON.stringify(e));
    assert.ok([a, b].includes(String(e.data.reason)), JSON.stringify(e));
  },
);

Then('the token indexes are consecutive from 0', function (this: OrchWorld) {
  const tokens = last(this).events.filter((e) => e.event === 'token');
  tokens.forEach((e, i) => assert.equal(e.data.i, i));
  assert.ok(tokens.length < 200, 'cancel had no effect: every token was produced');
});

Then(
  'the replica frees its slot within {int} seconds',
  async function (this: OrchWorld, secs: number) {
    const until = Date.now() + secs * 1000;
    for (;;) {
      const r = await http('GET', `${this.stack.url}/v1/pools/${this.stack.poolId}/health`);
      const m = r.json.metrics as { tasks_running: number; slots_free: number };
      if (m.tasks_running === 0 && m.slots_free > 0) return;
      assert.ok(Date.now() < until, `slot still busy: ${r.text}`);
      await new Promise((res) => setTimeout(res, 250));
    }
  },
);
