// Steps on the control plane (pools), sessions and metrics.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Given, Then, When } from '@cucumber/cucumber';
import { http, metricSum, streamTask, taskBody } from '../support/api.js';
import { settle } from '../../e2e/helpers/client.js';
import { orchctl } from '../support/orchctl.js';
import { BDD_TENANTS } from '../support/stack-tweaks.js';
import type { OrchWorld } from '../support/world.js';

/** Scenario-local session names → fresh UUIDs, so runs never collide. */
const sessions = new Map<string, string>();
const sessionId = (name: string): string => {
  const id = sessions.get(name) ?? randomUUID();
  sessions.set(name, id);
  return id;
};

// --- pools ---------------------------------------------------------------------------------
async function poolHealth(w: OrchWorld): Promise<Record<string, unknown>> {
  const r = await http('GET', `${w.stack.url}/v1/pools/${w.stack.poolId}/health`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

Then('the pool health reports draining', async function (this: OrchWorld) {
  const h = await poolHealth(this);
  assert.equal(h.draining, true, JSON.stringify(h));
});

Then(
  'the pool becomes Ready again within {int} seconds',
  async function (this: OrchWorld, secs: number) {
    const until = Date.now() + secs * 1000;
    for (;;) {
      const h = await poolHealth(this);
      if (h.ready === true && h.draining === false) return;
      assert.ok(Date.now() < until, `pool not Ready: ${JSON.stringify(h)}`);
      await new Promise((res) => setTimeout(res, 1000));
    }
  },
);

interface ReloadView {
  state: string;
  to: { model_ref: string; model_digest?: string };
  from: { model_ref: string; model_digest?: string };
  error: unknown;
}

// ORCH-2102: follow the reload in pool health until it ends; only "succeeded" passes.
Then(
  'the pool reload succeeds within {int} seconds',
  { timeout: 400_000 },
  async function (this: OrchWorld, secs: number) {
    const until = Date.now() + secs * 1000;
    for (;;) {
      const h = await poolHealth(this);
      const reload = h.reload as ReloadView | undefined;
      if (reload && reload.state !== 'running') {
        assert.equal(reload.state, 'succeeded', JSON.stringify(h));
        assert.equal(h.ready, true, JSON.stringify(h));
        return;
      }
      assert.ok(Date.now() < until, `reload still running: ${JSON.stringify(h)}`);
      await new Promise((res) => setTimeout(res, 1000));
    }
  },
);

Then('the pool serves model {string}', async function (this: OrchWorld, model: string) {
  const h = await poolHealth(this);
  assert.equal(h.model_ref, model, JSON.stringify(h));
  const sets = await http('GET', `${this.stack.url}/v1/replicasets`);
  const served = (sets.json.replica_sets as { model_ref: string; pool_id: string }[]).filter(
    (s) => s.pool_id === this.stack.poolId,
  );
  assert.deepEqual(
    served.map((s) => s.model_ref),
    [model],
    sets.text,
  );
});

Then('the reload kept the model digest', async function (this: OrchWorld) {
  const reload = (await poolHealth(this)).reload as ReloadView;
  assert.ok(reload.from.model_digest, JSON.stringify(reload));
  assert.equal(reload.to.model_digest, reload.from.model_digest, JSON.stringify(reload));
});

// --- sessions ------------------------------------------------------------------------------
/** One turn in a session: submit (as `headers`' tenant, anonymous by default), stream to the end. */
async function runTurn(w: OrchWorld, name: string, headers: Record<string, string> = {}) {
  const body = taskBody({ session_id: sessionId(name), max_tokens: 2 });
  w.submitted.add(String(body.task_id));
  const r = await http('POST', `${w.stack.url}/v1/tasks`, body, undefined, headers);
  assert.equal(r.status, 202, r.text);
  const t = await streamTask(w.stack.url, String(body.task_id), headers);
  assert.equal(t.events.at(-1)?.event, 'end', t.text.slice(0, 300));
}

/** The turns of session `name` as `headers`' tenant sees it, once it reaches `n` (bounded: 5 s). */
async function expectTurns(w: OrchWorld, name: string, n: number, headers = {}) {
  const until = Date.now() + 5000;
  for (;;) {
    const url = `${w.stack.url}/v1/sessions/${sessionId(name)}`;
    const r = await http('GET', url, undefined, undefined, headers);
    if (r.status === 200 && r.json.turns === n) return;
    assert.ok(Date.now() < until, `expected ${n} turns: ${r.status} ${r.text}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

function tenantKey(tenant: string): Record<string, string> {
  const t = BDD_TENANTS[tenant];
  assert.ok(t, `no tenant "${tenant}" in the BDD stack config`);
  return { 'x-api-key': t.key };
}

When('I run a turn in session {string}', async function (this: OrchWorld, name: string) {
  await runTurn(this, name);
});

// ORCH-3035: sessions belong to the tenant whose task created them.
When(
  'tenant {string} runs a turn in session {string}',
  async function (this: OrchWorld, tenant: string, name: string) {
    await runTurn(this, name, tenantKey(tenant));
  },
);

When(
  'tenant {string} looks up session {string}',
  async function (this: OrchWorld, tenant: string, name: string) {
    const url = `${this.stack.url}/v1/sessions/${sessionId(name)}`;
    this.response = await http('GET', url, undefined, undefined, tenantKey(tenant));
  },
);

Then(
  /^tenant "([^"]+)" sees session "([^"]+)" with (\d+) turns?$/,
  async function (this: OrchWorld, tenant: string, name: string, n: string) {
    await expectTurns(this, name, Number(n), tenantKey(tenant));
  },
);

When('I delete session {string}', async function (this: OrchWorld, name: string) {
  this.response = await http('DELETE', `${this.stack.url}/v1/sessions/${sessionId(name)}`);
});

// The sidecar reports a lease's outcome (which records the turn) just after the client has the
// terminal event, so the count is read until it settles (bounded: 5 s).
Then(
  /^session "([^"]+)" has (\d+) turns?$/,
  async function (this: OrchWorld, name: string, n: string) {
    await expectTurns(this, name, Number(n));
  },
);

Then(
  'session {string} has a TTL of at most {int} ms',
  async function (this: OrchWorld, name: string, max: number) {
    const r = await http('GET', `${this.stack.url}/v1/sessions/${sessionId(name)}`);
    const ttl = Number(r.json.ttl_ms_remaining);
    assert.ok(ttl > 0 && ttl <= max, r.text);
  },
);

Then(
  'looking up session {string} answers {int}',
  async function (this: OrchWorld, name: string, status: number) {
    const r = await http('GET', `${this.stack.url}/v1/sessions/${sessionId(name)}`);
    assert.equal(r.status, status, r.text);
  },
);

When(
  'I run orchctl session get for session {string}',
  async function (this: OrchWorld, name: string) {
    this.cli = await orchctl(['session', 'get', sessionId(name)], { url: this.stack.url });
  },
);

// --- metrics -------------------------------------------------------------------------------
Given('I note the metrics', async function (this: OrchWorld) {
  this.metricsBefore = (await http('GET', `${this.stack.url}/metrics`)).text;
});

async function delta(w: OrchWorld, family: string, match: Record<string, string>): Promise<number> {
  const now = (await http('GET', `${w.stack.url}/metrics`)).text;
  return metricSum(now, family, match) - metricSum(w.metricsBefore, family, match);
}

Then(
  'the metric {string} increased by at least {int}',
  async function (this: OrchWorld, family: string, n: number) {
    // Token counters move when the sidecar's LeaseFinished reaches placement, which can trail the
    // client's end event: read again for up to 5 s (bounded) before judging.
    const d = await settle(
      () => delta(this, family, {}),
      (v) => v >= n,
    );
    assert.ok(d >= n, `${family} moved by ${d}`);
  },
);

Then(
  'the metric {string} with reason {string} increased by at least {int}',
  async function (this: OrchWorld, family: string, reason: string, n: number) {
    const d = await delta(this, family, { reason });
    assert.ok(d >= n, `${family}{reason="${reason}"} moved by ${d}`);
  },
);
