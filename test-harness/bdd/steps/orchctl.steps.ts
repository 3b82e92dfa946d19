// Steps that drive the real orchctl binary as a user would.
import assert from 'node:assert/strict';
import { Then, When } from '@cucumber/cucumber';
import { orchctl } from '../support/orchctl.js';
import type { OrchWorld } from '../support/world.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RUN_FLAGS = ['--seed', '7', '-n', '8'];

function cli(w: OrchWorld): NonNullable<OrchWorld['cli']> {
  assert.ok(w.cli, 'orchctl has not run');
  return w.cli;
}

When(
  'I run orchctl run with the prompt {string}',
  async function (this: OrchWorld, prompt: string) {
    this.cli = await orchctl(['run', ...RUN_FLAGS, prompt], { url: this.stack.url });
  },
);

When(
  'I run orchctl run with the prompt {string} and press Ctrl-C after the first token',
  async function (this: OrchWorld, prompt: string) {
    this.cli = await orchctl(['run', '--seed', '7', '-n', '400', prompt], {
      url: this.stack.url,
      interruptAfterOutput: true,
    });
  },
);

When(
  'I run orchctl submit with the prompt {string}',
  async function (this: OrchWorld, prompt: string) {
    this.cli = await orchctl(['submit', ...RUN_FLAGS, prompt], { url: this.stack.url });
    const id = this.cli.stdout.trim();
    if (UUID.test(id)) {
      this.taskId = id;
      this.submitted.add(id);
    }
  },
);

When('I run orchctl stream for that task with --json', async function (this: OrchWorld) {
  this.cli = await orchctl(['stream', '--json', this.taskId], { url: this.stack.url });
});

When('I run orchctl pools health for the pool', async function (this: OrchWorld) {
  this.cli = await orchctl(['pools', 'health', this.stack.poolId], { url: this.stack.url });
});

When(
  'I run orchctl pools drain for the pool with a deadline of {int} ms',
  async function (this: OrchWorld, ms: number) {
    const args = ['pools', 'drain', '--deadline', String(ms), this.stack.poolId];
    this.cli = await orchctl(args, { url: this.stack.url });
  },
);

When('I run orchctl pools undrain for the pool', async function (this: OrchWorld) {
  this.cli = await orchctl(['pools', 'undrain', this.stack.poolId], { url: this.stack.url });
});

When(
  'I run orchctl pools reload for the pool with model {string}',
  async function (this: OrchWorld, model: string) {
    const args = ['pools', 'reload', '--model', model, this.stack.poolId];
    this.cli = await orchctl(args, { url: this.stack.url });
  },
);

Then('orchctl exits with code {int}', function (this: OrchWorld, code: number) {
  const r = cli(this);
  assert.equal(r.code, code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
});

Then('orchctl printed tokens on stdout', function (this: OrchWorld) {
  assert.ok(cli(this).stdout.trim().length > 0, 'no tokens on stdout');
});

Then('orchctl printed a task id', function (this: OrchWorld) {
  assert.match(cli(this).stdout.trim(), UUID);
});

Then('orchctl stderr contains {string}', function (this: OrchWorld, text: string) {
  assert.ok(cli(this).stderr.includes(text), `stderr: ${cli(this).stderr}`);
});

Then('orchctl stdout contains {string}', function (this: OrchWorld, text: string) {
  assert.ok(cli(this).stdout.includes(text), `stdout: ${cli(this).stdout}`);
});

Then(
  'every stdout line is a JSON event, the first {string} and the last {string}',
  function (this: OrchWorld, first: string, lastName: string) {
    const lines = cli(this).stdout.trim().split('\n');
    const events = lines.map((l) => (JSON.parse(l) as { event: string }).event);
    assert.equal(events[0], first);
    assert.equal(events.at(-1), lastName);
  },
);
