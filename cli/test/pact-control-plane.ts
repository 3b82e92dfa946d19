// Consumer pacts for the control plane orchctl uses (ORCH-3044): replica sets, pool health, drain,
// undrain and reload (202, and 400 for a model the configuration does not list), and the canary
// calls (ORCH-3033): a canary reload of a pool without replicas and promote/rollback with no
// canary held are typed 400s. Provider states put the standby pool (no replicas) in the state
// each interaction needs, through the test hook; the 202s of promote/rollback need a pool holding
// a canary (two replicas or more) and are covered by test-harness/engine-sim/canary.test.ts.
import { MatchersV3 } from '@pact-foundation/pact';
import type { PactV4 } from '@pact-foundation/pact';
import { expect, it } from 'vitest';
import { OrchClient } from '../src/client.js';
import {
  ENGINE,
  MODEL,
  STANDBY_MODEL,
  STANDBY_POOL,
  STATES,
  UNCONFIGURED_MODEL,
} from './pact-fixtures.js';
import { CORRELATION, JSON_TYPE, cli, envelope } from './pact-support.js';

const { like, integer, eachLike } = MatchersV3;

const model = { model_ref: MODEL, engine: ENGINE };

export function controlPlaneInteractions(pact: PactV4): void {
  it('ORCH-2104: replica sets (model discovery for submit without --model)', async () => {
    await pact
      .addInteraction()
      .given(STATES.ready, model)
      .uponReceiving('a replica set listing')
      .withRequest('GET', '/v1/replicasets')
      .willRespondWith(200, (b) =>
        b.headers({ ...CORRELATION, ...JSON_TYPE }).jsonBody({
          replica_sets: eachLike({ pool_id: like('default'), engine: ENGINE, model_ref: MODEL }),
        }),
      )
      .executeTest(async (ms) => {
        const sets = await new OrchClient({ url: ms.url }).replicaSets();
        expect(sets.replica_sets[0]?.model_ref).toBe(MODEL);
      });
  });

  it('ORCH-2103: pool health → 200', async () => {
    await pact
      .addInteraction()
      .given(STATES.ready, model)
      .uponReceiving('a pool health query')
      .withRequest('GET', '/v1/pools/default/health')
      .willRespondWith(200, (b) =>
        b.headers({ ...CORRELATION, ...JSON_TYPE }).jsonBody({
          pool_id: 'default',
          live: true,
          ready: true,
          draining: like(false),
          replicas: eachLike({ replica_id: like('default-r0'), ready: true }),
          last_error: null,
          metrics: {
            queue_depth: { interactive: integer(0), batch: integer(0) },
            replicas_ready: integer(1),
            replicas_total: integer(1),
            slots_total: integer(1),
            slots_free: integer(1),
            tasks_running: integer(0),
            kv_usage_ratio: like(0),
          },
        }),
      )
      .executeTest(async (ms) => {
        const r = await cli(['pools', 'health', '--url', ms.url, 'default']);
        expect(r.code).toBe(0);
        expect(r.out).toContain('replicas  1/1 Ready');
      });
  });

  it('ORCH-2101: pools drain → 202', async () => {
    await pact
      .addInteraction()
      .given(STATES.standbyPool, { pool_id: STANDBY_POOL })
      .uponReceiving('a pool drain request')
      .withRequest('POST', `/v1/pools/${STANDBY_POOL}/drain`, (b) =>
        b.jsonBody({ deadline_ms: integer(60000) }),
      )
      .willRespondWith(202, (b) =>
        b
          .headers({ ...CORRELATION, ...JSON_TYPE })
          .jsonBody({ pool_id: STANDBY_POOL, action: 'drain' }),
      )
      .executeTest(async (ms) => {
        const r = await cli([
          'pools',
          'drain',
          '--url',
          ms.url,
          '--deadline',
          '60000',
          STANDBY_POOL,
        ]);
        expect(r).toMatchObject({
          code: 0,
          out: `draining pool ${STANDBY_POOL} (deadline 1m 00s)\n`,
        });
      });
  });

  it('ORCH-2101: pools undrain → 202', async () => {
    await pact
      .addInteraction()
      .given(STATES.standbyDraining, { pool_id: STANDBY_POOL })
      .uponReceiving('a pool undrain request')
      .withRequest('POST', `/v1/pools/${STANDBY_POOL}/undrain`, (b) => b.jsonBody({}))
      .willRespondWith(202, (b) =>
        b
          .headers({ ...CORRELATION, ...JSON_TYPE })
          .jsonBody({ pool_id: STANDBY_POOL, action: 'undrain' }),
      )
      .executeTest(async (ms) => {
        const r = await cli(['pools', 'undrain', '--url', ms.url, STANDBY_POOL]);
        expect(r).toMatchObject({
          code: 0,
          out: `undrained pool ${STANDBY_POOL}: it takes new work again\n`,
        });
      });
  });

  it('ORCH-2102: pools reload to a configured model → 202 with the reload id', async () => {
    await pact
      .addInteraction()
      .given(STATES.standbyServing, { pool_id: STANDBY_POOL, model_ref: STANDBY_MODEL })
      .uponReceiving('a pool reload request')
      .withRequest('POST', `/v1/pools/${STANDBY_POOL}/reload`, (b) =>
        b.jsonBody({ new_model_ref: like(STANDBY_MODEL) }),
      )
      .willRespondWith(202, (b) =>
        b.headers({ ...CORRELATION, ...JSON_TYPE }).jsonBody({
          pool_id: STANDBY_POOL,
          action: 'reload',
          reload_id: like('0b6f7c1e-2a44-4d0e-9f3b-6f8a1c2d3e4f'),
        }),
      )
      .executeTest(async (ms) => {
        const argv = ['pools', 'reload', '--url', ms.url, '--model', STANDBY_MODEL, STANDBY_POOL];
        const r = await cli(argv);
        expect(r.code).toBe(0);
        expect(r.out).toBe(
          `reloading pool ${STANDBY_POOL} with ${STANDBY_MODEL} ` +
            '(reload 0b6f7c1e-2a44-4d0e-9f3b-6f8a1c2d3e4f; follow it with pools health)\n',
        );
      });
  });

  it('ORCH-2102: pools reload to a model the configuration does not list → 400, exit 4', async () => {
    await pact
      .addInteraction()
      .given(STATES.standbyServing, { pool_id: STANDBY_POOL, model_ref: STANDBY_MODEL })
      .uponReceiving('a pool reload request for an unconfigured model')
      .withRequest('POST', `/v1/pools/${STANDBY_POOL}/reload`, (b) =>
        b.jsonBody({ new_model_ref: like(UNCONFIGURED_MODEL) }),
      )
      .willRespondWith(400, (b) =>
        b
          .headers({ ...CORRELATION, ...JSON_TYPE })
          .jsonBody(
            envelope(
              'INVALID_PARAMS',
              `new_model_ref ${UNCONFIGURED_MODEL} is not configured`,
              false,
            ),
          ),
      )
      .executeTest(async (ms) => {
        const argv = [
          'pools',
          'reload',
          '--url',
          ms.url,
          '--model',
          UNCONFIGURED_MODEL,
          STANDBY_POOL,
        ];
        const r = await cli(argv);
        expect(r.code).toBe(4);
        expect(r.err).toContain('INVALID_PARAMS, HTTP 400');
      });
  });

  it('ORCH-3033: pools reload --canary-share on a pool without replicas → 400 reload.canary, exit 4', async () => {
    await pact
      .addInteraction()
      .given(STATES.standbyServing, { pool_id: STANDBY_POOL, model_ref: STANDBY_MODEL })
      .uponReceiving('a canary pool reload request for a pool without replicas')
      .withRequest('POST', `/v1/pools/${STANDBY_POOL}/reload`, (b) =>
        b.jsonBody({ new_model_ref: like(STANDBY_MODEL), canary_share: like(0.5) }),
      )
      .willRespondWith(400, (b) =>
        b.headers({ ...CORRELATION, ...JSON_TYPE }).jsonBody({
          ...envelope('INVALID_PARAMS', `pool ${STANDBY_POOL} has 0 replica(s)`, false),
          policy_label: 'reload.canary',
        }),
      )
      .executeTest(async (ms) => {
        const argv = ['pools', 'reload', '--url', ms.url, '--model', STANDBY_MODEL];
        const r = await cli([...argv, '--canary-share', '0.5', STANDBY_POOL]);
        expect(r.code).toBe(4);
        expect(r.err).toContain('INVALID_PARAMS, HTTP 400');
      });
  });

  for (const [verb, path] of [
    ['promote', 'reload/promote'],
    ['rollback', 'rollback'],
  ] as const) {
    it(`ORCH-3033: pools ${verb} with no reload holding a canary → 400 reload.not_canary, exit 4`, async () => {
      await pact
        .addInteraction()
        .given(STATES.standbyServing, { pool_id: STANDBY_POOL, model_ref: STANDBY_MODEL })
        .uponReceiving(`a canary ${verb} request with no canary held`)
        .withRequest('POST', `/v1/pools/${STANDBY_POOL}/${path}`, (b) => b.jsonBody({}))
        .willRespondWith(400, (b) =>
          b.headers({ ...CORRELATION, ...JSON_TYPE }).jsonBody({
            ...envelope('INVALID_PARAMS', `pool ${STANDBY_POOL}: no reload holds a canary`, false),
            policy_label: 'reload.not_canary',
          }),
        )
        .executeTest(async (ms) => {
          const r = await cli(['pools', verb, '--url', ms.url, STANDBY_POOL]);
          expect(r.code).toBe(4);
          expect(r.err).toContain('no reload holds a canary');
        });
    });
  }
}
