// The engine simulator's HTTP server: llama.cpp native API, a vLLM-style OpenAI API, and a
// control API for faults (POST /sim/faults, POST /sim/crash, GET /sim/state).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { simConfig, type SimConfig, type SimFaults } from './config.js';
import { SimEngine } from './engine.js';
import { readJson, sendJson, sendText } from './http-util.js';
import { LOADING_BODY, applyTemplate, completion, metrics, props, slots } from './llamacpp-api.js';
import { completions, models, tokenizeRoute } from './openai-api.js';

export interface EngineSimOptions {
  config?: Partial<SimConfig>;
  faults?: SimFaults;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** CLI mode: a crash fault exits the process, like a real engine dying. */
  exitOnCrash?: boolean;
}

export interface EngineSim {
  readonly url: string;
  readonly port: number;
  readonly engine: SimEngine;
  setFaults(f: SimFaults): void;
  /** Every connection reset, listener closed: the engine is gone until restarted. */
  crash(): void;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export async function startEngineSim(o: EngineSimOptions = {}): Promise<EngineSim> {
  const engine = new SimEngine(simConfig(o.config));
  engine.faults = { ...o.faults };
  const sockets = new Set<Socket>();
  let crashed = false;
  const server = createServer();

  const crash = (): void => {
    if (crashed) return;
    crashed = true;
    if (o.exitOnCrash) process.exit(70);
    server.close();
    for (const s of sockets) s.destroy();
  };

  // Faults that hit a completion before the engine core sees it.
  const nativeCompletion: Handler = (q, r) => {
    if (engine.faults.crashOnRequest) {
      setImmediate(crash);
      return;
    }
    if (engine.faults.noDecode) {
      return sendJson(r, 500, {
        error: {
          code: 500,
          message: 'failed to decode the batch (sim noDecode)',
          type: 'server_error',
        },
      });
    }
    return completion(engine, q, r);
  };

  const routes: Record<string, Handler> = {
    'GET /health': (_q, r) => sendJson(r, 200, { status: 'ok' }),
    'GET /v1/health': (_q, r) => sendJson(r, 200, { status: 'ok' }),
    'GET /props': (_q, r) => sendJson(r, 200, props(engine)),
    'GET /slots': (_q, r) => sendJson(r, 200, slots(engine)),
    'GET /metrics': (_q, r) => {
      const t = engine.faults.telemetry;
      // Held open without an answer; closing the server resets the connection.
      if (t === 'stalled') return;
      if (t === 'missing')
        return sendJson(r, 404, {
          error: { code: 404, message: 'File Not Found', type: 'not_found_error' },
        });
      sendText(r, 200, t === 'garbage' ? '<html>metrics are not here</html>\n' : metrics(engine));
    },
    'POST /completion': (q, r) => nativeCompletion(q, r),
    'POST /apply-template': (q, r) => applyTemplate(q, r),
    'POST /completions': (q, r) => nativeCompletion(q, r),
    'POST /v1/completions': (q, r) => completions(engine, q, r),
    'POST /tokenize': (q, r) => tokenizeRoute(engine, q, r),
    'GET /v1/models': (_q, r) => sendJson(r, 200, models(engine)),
    'GET /version': (_q, r) => sendJson(r, 200, { version: engine.config.version }),
    'GET /sim/state': (_q, r) =>
      sendJson(r, 200, {
        config: engine.config,
        faults: engine.faults,
        busy: engine.busy,
        deferred: engine.deferred,
        counters: engine.counters,
        loading: engine.loading,
      }),
    'POST /sim/faults': async (q, r) => {
      engine.faults = (await readJson(q)) as SimFaults;
      sendJson(r, 200, { faults: engine.faults });
    },
    'POST /sim/crash': (_q, r) => {
      sendJson(r, 200, { crashing: true });
      setImmediate(crash);
    },
  };

  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const key = `${req.method ?? 'GET'} ${path}`;
    const handler = routes[key];
    if (!handler) {
      sendJson(res, 404, {
        error: { code: 404, message: 'File Not Found', type: 'not_found_error' },
      });
      return;
    }
    // llama-server answers 503 on every model endpoint while loading; the control API stays up.
    if (engine.loading && !path.startsWith('/sim/')) {
      sendJson(res, 503, LOADING_BODY);
      return;
    }
    Promise.resolve(handler(req, res)).catch((err: unknown) => {
      if (!res.headersSent)
        sendJson(res, 500, { error: { code: 500, message: String(err), type: 'server_error' } });
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}`,
    port,
    engine,
    setFaults: (f) => {
      engine.faults = { ...f };
    },
    crash,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        if (crashed || !server.listening) return resolve();
        server.close(() => resolve());
      }),
  };
}
