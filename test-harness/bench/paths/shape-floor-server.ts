// The two stand-in processes of the bench's "shape floor" path (paths/shape-floor.ts): the least
// the product's fixed shape can do per request, so the bench can show what that shape costs on
// its own and what placement and the sidecar add on top of it.
//
//   --role placement --rest-port R --ext-proc-port P --relay HOST:PORT
//     Placement's stand-in. REST: `POST /v1/tasks` keeps {engine, body} under the task id and
//     answers 202 (no queue, no journal). ext_proc: the request headers of
//     `GET /v1/tasks/{id}/stream` are answered at once with the relay as destination and the
//     engine and its request body in two headers (no Assign round trip, no lease).
//   --role relay --port Q
//     The sidecar's stand-in. Any request: `POST /completion` to the engine the header names with
//     the body it carries, over a keep-alive pool, and the engine's bytes piped back unchanged (no
//     parsing, no SSE re-encoding).
//
// The client names the engine on its POST (ENGINE_HEADER), as the other pinned paths do.
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { Agent, createServer, request } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import {
  decodeRequestHeaders,
  encodeDecision,
  externalProcessorService,
} from '@llama-orch/gateway/extproc';
import type { ProcessingRequest } from '@llama-orch/gateway/extproc';
import { DESTINATION_HEADER } from '@llama-orch/envoy';
import { BODY_HEADER, ENGINE_HEADER } from './shape-floor.js';

const { values: a } = parseArgs({
  options: {
    role: { type: 'string' },
    'rest-port': { type: 'string' },
    'ext-proc-port': { type: 'string' },
    relay: { type: 'string' },
    port: { type: 'string' },
  },
});

function listen(server: ReturnType<typeof createServer>, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function placementStandIn(restPort: number, extProcPort: number, relay: string) {
  const tasks = new Map<string, { engine: string; body: string }>();
  const rest = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const text = await readBody(req);
      if (req.method !== 'POST' || req.url !== '/v1/tasks') {
        res.writeHead(404).end();
        return;
      }
      const task = JSON.parse(text) as { task_id: string; engine_body: unknown };
      const engine = String(req.headers[ENGINE_HEADER] ?? '');
      tasks.set(task.task_id, { engine, body: JSON.stringify(task.engine_body) });
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ task_id: task.task_id }));
    })().catch(() => res.writeHead(400).end());
  });
  rest.keepAliveTimeout = 65_000;

  const server = new Server();
  server.addService(externalProcessorService(), {
    Process: (call: ServerDuplexStream<ProcessingRequest, unknown>) => {
      call.on('data', (m: ProcessingRequest) => {
        if (!m.request_headers) return;
        // Placement's own codec both ways: the stand-in differs from placement only in deciding
        // at once, with no queue, lease or Assign.
        const id = decodeRequestHeaders(m.request_headers).taskId ?? '';
        const t = tasks.get(id);
        tasks.delete(id);
        call.write(
          encodeDecision(
            t
              ? {
                  kind: 'route',
                  setHeaders: {
                    [DESTINATION_HEADER]: relay,
                    [ENGINE_HEADER]: t.engine,
                    [BODY_HEADER]: Buffer.from(t.body).toString('base64'),
                  },
                }
              : { kind: 'respond', status: 404, headers: {}, body: '', details: 'unknown task' },
          ),
        );
      });
      call.on('end', () => call.end());
      call.on('error', () => undefined);
    },
  });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${extProcPort}`, ServerCredentials.createInsecure(), (e) =>
      e ? reject(e) : resolve(),
    ),
  );
  await listen(rest, restPort);
}

async function relayStandIn(port: number) {
  const agent = new Agent({ keepAlive: true, keepAliveMsecs: 2_000 });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const engine = String(req.headers[ENGINE_HEADER] ?? '');
    const body = Buffer.from(String(req.headers[BODY_HEADER] ?? ''), 'base64');
    const up = request(
      {
        host: engine.split(':')[0],
        port: Number(engine.split(':')[1]),
        method: 'POST',
        path: '/completion',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (ures) => {
        res.writeHead(ures.statusCode ?? 502, {
          'content-type': String(ures.headers['content-type'] ?? 'text/event-stream'),
        });
        ures.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    up.end(body);
    req.resume();
  });
  server.keepAliveTimeout = 65_000;
  await listen(server, port);
}

if (a.role === 'placement') {
  await placementStandIn(Number(a['rest-port']), Number(a['ext-proc-port']), String(a.relay));
} else if (a.role === 'relay') {
  await relayStandIn(Number(a.port));
} else {
  process.stderr.write('usage: --role placement|relay (see the header of this file)\n');
  process.exit(2);
}
process.stdout.write(`shape-floor ${a.role} ready\n`);
