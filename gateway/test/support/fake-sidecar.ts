// A minimal stand-in for a sidecar, for tests of placement and Envoy routing: a real gRPC control
// client (Register, Heartbeat, LeaseAccepted/Started/Finished) and a tiny HTTP server that
// serves `GET /v1/tasks/:id/stream` only for a lease it was assigned, writing a few SSE events.
// The messages it sends are the in-process fake's (sidecar-messages.ts); this one adds the
// real gRPC client and the HTTP side.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { credentials } from '@grpc/grpc-js';
import type { ChannelCredentials, ChannelOptions, ClientDuplexStream } from '@grpc/grpc-js';
import { formatSseEvent } from '@llama-orch/contracts';
import { PlacementClient } from '@llama-orch/proto';
import type { Assign, Cancel, PlacementCommand, SidecarMessage } from '@llama-orch/proto';
import { finishedStop, heartbeatMessage, leaseMessage } from './sidecar-messages.js';
import { register } from './harness.js';

interface FakeSidecarOptions {
  readonly controlPort: number;
  readonly replicaId: string;
  readonly poolId: string;
  readonly modelRef: string;
  readonly slotsFree?: number;
  readonly tokens?: readonly string[];
  /** ORCH-3142: the control channel's credentials (default plaintext) and options. */
  readonly credentials?: ChannelCredentials;
  readonly channelOptions?: ChannelOptions;
  /** Give up (closing everything) when Register is not acknowledged in time (default: wait). */
  readonly registerTimeoutMs?: number;
}

interface SeenRequest {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

export interface FakeSidecar {
  readonly port: number;
  readonly address: string;
  readonly assigns: Assign[];
  readonly cancels: Cancel[];
  readonly requests: SeenRequest[];
  setSlotsFree(n: number): void;
  close(): Promise<void>;
}

export async function startFakeSidecar(o: FakeSidecarOptions): Promise<FakeSidecar> {
  const assigns: Assign[] = [];
  const cancels: Cancel[] = [];
  const requests: SeenRequest[] = [];
  const used = new Set<string>();
  let slotsFree = o.slotsFree ?? 1;
  const tokens = o.tokens ?? ['Hello', ',', ' world'];

  const client = new PlacementClient(
    `127.0.0.1:${o.controlPort}`,
    o.credentials ?? credentials.createInsecure(),
    o.channelOptions ?? {},
  );
  const call: ClientDuplexStream<SidecarMessage, PlacementCommand> = client.connect();
  let streamError = 'none';
  // Gateway shutdown ends the stream; not a test failure. Kept for a refused registration.
  call.on('error', (e: Error) => void (streamError = e.message));
  const send = (message: SidecarMessage): void => {
    call.write(message);
  };
  const heartbeat = (): void => send(heartbeatMessage(slotsFree));

  const server: Server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', headers: req.headers });
    const match = /^\/v1\/tasks\/([^/?]+)\/stream/.exec(req.url ?? '');
    const leaseId = req.headers['x-orch-lease-id'];
    const assign = assigns.find((a) => a.leaseId === leaseId && a.task?.taskId === match?.[1]);
    if (!match || typeof leaseId !== 'string' || !assign || used.has(leaseId)) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ code: 'LEASE_INVALID', message: 'no valid lease', retriable: false }),
      );
      return;
    }
    used.add(leaseId);
    const taskId = match[1] ?? '';
    send(leaseMessage({ leaseId, taskId }, 'started'));
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'x-correlation-id': String(req.headers['x-correlation-id'] ?? ''),
    });
    // Event ids as the real sidecar writes them (ORCH-4032): started 0, then one per event.
    res.write(
      formatSseEvent({ event: 'started', data: { queue_position: 0, predicted_start_ms: 0 } }, 0),
    );
    tokens.forEach((t, i) => res.write(formatSseEvent({ event: 'token', data: { t, i } }, i + 1)));
    res.end(
      formatSseEvent(
        {
          event: 'end',
          data: { tokens_out: tokens.length, decode_time_ms: 5, reason: 'stop' },
        },
        tokens.length + 1,
      ),
    );
    send(leaseMessage({ leaseId, taskId }, finishedStop(tokens.length, 2, 5)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const address = `127.0.0.1:${port}`;

  const registered = new Promise<void>((resolve, reject) => {
    call.on('data', (cmd: PlacementCommand) => {
      const c = cmd.cmd;
      if (c?.$case === 'ack') {
        if (c.value.accepted) resolve();
        else reject(new Error(`Register refused: ${c.value.message}`));
      } else if (c?.$case === 'assign') {
        assigns.push(c.value);
        const taskId = c.value.task?.taskId ?? '';
        send(leaseMessage({ leaseId: c.value.leaseId, taskId }, 'accepted'));
      } else if (c?.$case === 'cancel') {
        cancels.push(c.value);
      }
    });
  });
  send({
    msg: {
      $case: 'register',
      value: register({
        replicaId: o.replicaId,
        poolId: o.poolId,
        engineVersion: 'fake-1',
        modelRef: o.modelRef,
        modelDigest: 'sha256:' + '0'.repeat(64),
        advertiseAddress: address,
        canaryHash: 'fake',
      }),
    },
  });
  if (o.registerTimeoutMs === undefined) await registered;
  else {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), o.registerTimeoutMs);
    });
    const outcome = await Promise.race([registered.then(() => 'ok' as const), gaveUp]).finally(() =>
      clearTimeout(timer),
    );
    if (outcome === 'timeout') {
      call.cancel();
      client.close();
      await new Promise((r) => server.close(r));
      throw new Error(
        `not registered within ${o.registerTimeoutMs} ms (stream error: ${streamError}; commands received: ${assigns.length})`,
      );
    }
  }
  heartbeat();
  const timer = setInterval(heartbeat, 200);

  return {
    port,
    address,
    assigns,
    cancels,
    requests,
    setSlotsFree(n: number) {
      slotsFree = n;
      heartbeat();
    },
    async close() {
      clearInterval(timer);
      call.end();
      client.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
