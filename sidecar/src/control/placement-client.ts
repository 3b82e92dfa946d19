// Control stream to placement (ORCH-4010): Register first, Heartbeats every ~1 s, lease events;
// Assign / Cancel / Drain / Reload come down. If placement goes away the client reconnects with
// capped exponential backoff and re-registers with its active leases (ORCH-4007). Streams in
// flight never depend on this connection.
import type { ClientDuplexStream } from '@grpc/grpc-js';
import {
  PlacementClient,
  type Assign,
  type Cancel,
  type Drain,
  type Heartbeat,
  type LeaseEvent,
  type PlacementCommand,
  type Register,
  type Reload,
  type ReloadResult,
  type SidecarMessage,
} from '@llama-orch/proto';
import { controlChannel } from './control-tls.js';
import type { ControlTlsFiles } from './control-tls.js';

/** The sidecar's answer to an Assign: reported to placement as LeaseAccepted or LeaseRefused. */
type AssignAnswer =
  | { readonly accepted: true }
  | { readonly accepted: false; readonly reason: string; readonly busy: boolean };

export interface ControlHandlers {
  /** Store the Assign, or say why not (ORCH-4033: a refusal is reported at once, never silent). */
  onAssign(assign: Assign): AssignAnswer;
  onCancel(cancel: Cancel): void;
  onDrain(drain: Drain): void;
  onReload(reload: Reload): void;
  onConnectionChange?(connected: boolean, detail: string): void;
}

interface PlacementClientOptions {
  address: string;
  /** ORCH-3142: mutual TLS to placement (absent: plaintext, loopback stacks without tls only). */
  tls?: ControlTlsFiles;
  /** Called on every (re)connect so active leases are current. */
  register: () => Register;
  heartbeat: () => Promise<Heartbeat>;
  handlers: ControlHandlers;
  heartbeatMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Lease events queued while disconnected (oldest dropped beyond this). */
  maxPending?: number;
  log?: (msg: string) => void;
}

type Stream = ClientDuplexStream<SidecarMessage, PlacementCommand>;

export class PlacementConnection {
  private readonly client: PlacementClient;
  private stream: Stream | undefined;
  private registered = false;
  private closed = false;
  private backoffMs: number;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly pending: SidecarMessage[] = [];
  private connects = 0;

  constructor(private readonly o: PlacementClientOptions) {
    const channel = controlChannel(o.tls);
    this.client = new PlacementClient(o.address, channel.credentials, {
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      ...channel.options,
    });
    this.backoffMs = o.backoffInitialMs ?? 100;
  }

  /** True while the stream is up and placement acknowledged our Register. */
  get connected(): boolean {
    return this.stream !== undefined && this.registered;
  }

  get connectCount(): number {
    return this.connects;
  }

  start(): void {
    this.connect();
  }

  sendLease(event: LeaseEvent): void {
    const msg: SidecarMessage = { msg: { $case: 'lease', value: event } };
    if (this.stream && this.registered) {
      this.stream.write(msg);
      return;
    }
    // Outcomes must reach placement for exact metrics (ORCH-4015): keep them for the next stream.
    this.pending.push(msg);
    const max = this.o.maxPending ?? 1000;
    while (this.pending.length > max) this.pending.shift();
  }

  /** Answers a Reload; kept for the next stream if the current one is down. */
  sendReloadResult(result: ReloadResult): void {
    const msg: SidecarMessage = { msg: { $case: 'reloadResult', value: result } };
    if (this.stream && this.registered) this.stream.write(msg);
    else this.pending.push(msg);
  }

  /**
   * Ends the current stream (after what was written on it) and opens a fresh one at once, so a
   * new Register carries a changed identity (after a Reload, ORCH-2102).
   */
  reopen(): void {
    if (this.closed) return;
    const old = this.stream;
    this.stream = undefined;
    const wasRegistered = this.registered;
    this.registered = false;
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.reconnectTimer);
    if (wasRegistered) this.o.handlers.onConnectionChange?.(false, 'reopening to re-register');
    old?.end();
    this.connect();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.heartbeatTimer);
    this.stream?.cancel();
    this.stream = undefined;
    this.client.close();
  }

  private connect(): void {
    if (this.closed) return;
    const stream = this.client.connect();
    this.stream = stream;
    this.registered = false;
    this.connects += 1;
    stream.on('data', (cmd: PlacementCommand) => this.onCommand(stream, cmd));
    stream.on('error', (err: Error) => this.onDown(stream, err.message));
    stream.on('end', () => this.onDown(stream, 'placement ended the stream'));
    stream.write({ msg: { $case: 'register', value: this.o.register() } });
  }

  private onCommand(stream: Stream, cmd: PlacementCommand): void {
    if (stream !== this.stream || !cmd.cmd) return;
    const c = cmd.cmd;
    switch (c.$case) {
      case 'ack':
        if (!c.value.accepted) {
          this.o.log?.(`placement refused registration: ${c.value.message}`);
          stream.cancel();
          this.onDown(stream, `registration refused: ${c.value.message}`);
          return;
        }
        this.onRegistered(stream);
        return;
      case 'assign': {
        const answer = this.o.handlers.onAssign(c.value);
        stream.write({
          msg: {
            $case: 'lease',
            value: {
              leaseId: c.value.leaseId,
              taskId: c.value.task?.taskId ?? '',
              event: answer.accepted
                ? { $case: 'accepted', value: {} }
                : { $case: 'refused', value: { reason: answer.reason, busy: answer.busy } },
            },
          },
        });
        return;
      }
      case 'cancel':
        this.o.handlers.onCancel(c.value);
        return;
      case 'drain':
        this.o.handlers.onDrain(c.value);
        return;
      case 'reload':
        this.o.handlers.onReload(c.value);
        return;
    }
  }

  private onRegistered(stream: Stream): void {
    this.registered = true;
    this.backoffMs = this.o.backoffInitialMs ?? 100;
    while (this.pending.length > 0) {
      const msg = this.pending.shift();
      if (msg) stream.write(msg);
    }
    this.o.handlers.onConnectionChange?.(true, 'registered');
    clearInterval(this.heartbeatTimer);
    this.beatNow();
    this.heartbeatTimer = setInterval(() => this.beatNow(), this.o.heartbeatMs ?? 1000);
  }

  /** Sends a heartbeat now (besides the periodic ones), e.g. when the replica turns unready. */
  beatNow(): void {
    const stream = this.stream;
    if (!stream || !this.registered) return;
    void this.o.heartbeat().then(
      (hb) => {
        if (stream === this.stream && this.registered)
          stream.write({ msg: { $case: 'heartbeat', value: hb } });
      },
      (err: unknown) => this.o.log?.(`heartbeat failed: ${String(err)}`),
    );
  }

  private onDown(stream: Stream, detail: string): void {
    if (stream !== this.stream) return;
    this.stream = undefined;
    const wasRegistered = this.registered;
    this.registered = false;
    clearInterval(this.heartbeatTimer);
    if (wasRegistered) this.o.handlers.onConnectionChange?.(false, detail);
    if (this.closed) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.o.backoffMaxMs ?? 5000);
    this.o.log?.(`control stream down (${detail}); reconnecting in ${delay} ms`);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }
}
