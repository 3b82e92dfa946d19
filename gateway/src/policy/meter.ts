// ORCH-3133: fuel metering for WASI policy modules. A wasm call cannot be interrupted from the same
// thread, so the budget is enforced inside the module: before the first instruction of every
// function and of every loop iteration the rewritten code takes one unit from a `__fuel` global and
// traps (unreachable) below zero. Recursion and loops are the only unbounded constructs in wasm, so
// a policy that runs away stops after `fuel` units whatever it does. The host sets the global before
// each call and reads it after a trap to tell "out of budget" from any other trap.
//
// Only what policies compile to is accepted: the MVP instruction set plus sign-extension,
// saturating float-to-int, bulk memory and reference types. SIMD, exceptions, threads and modules
// with imports are refused (a policy needs none of them; imports would break purity).

class MeterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MeterError';
  }
}

export const FUEL_EXPORT = '__fuel';
/** Prefix of the exports through which the host resets the module's mutable globals. */
export const STATE_EXPORT = '__state';

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  byte(): number {
    if (this.pos >= this.buf.length) throw new MeterError('unexpected end of module');
    return this.buf[this.pos++] as number;
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
      if (shift > 35) throw new MeterError('bad LEB128');
    }
  }
  /** Skip a signed LEB128 of up to `bits` bits. */
  sleb(bits: number): void {
    for (let i = 0; i < Math.ceil(bits / 7); i++) if ((this.byte() & 0x80) === 0) return;
    throw new MeterError('bad signed LEB128');
  }
  skip(n: number): void {
    if (this.pos + n > this.buf.length) throw new MeterError('unexpected end of module');
    this.pos += n;
  }
}

/** push(...xs) without the argument-count limit of a spread call. */
function append(out: number[], xs: ArrayLike<number>): void {
  for (let i = 0; i < xs.length; i++) out.push(xs[i] as number);
}

function leb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

function section(id: number, content: readonly number[] | Uint8Array): number[] {
  const out = [id, ...leb(content.length)];
  append(out, content);
  return out;
}

const VALTYPES = new Set([0x7f, 0x7e, 0x7d, 0x7c, 0x70, 0x6f]);

function blockType(r: Reader): void {
  const b = r.buf[r.pos] as number;
  if (b === 0x40 || VALTYPES.has(b)) r.pos++;
  else r.sleb(33);
}

/** Skips one instruction's immediates; returns true for `loop`. Throws on unsupported opcodes. */
function skipImmediates(r: Reader, op: number): boolean {
  if (op === 0x03) {
    blockType(r);
    return true;
  }
  if (op === 0x02 || op === 0x04) return (blockType(r), false);
  if (op === 0x00 || op === 0x01 || op === 0x05 || op === 0x0b || op === 0x0f) return false;
  if (op === 0x0c || op === 0x0d || op === 0x10 || op === 0x12) return (r.u32(), false);
  if (op === 0x0e) {
    const n = r.u32();
    for (let i = 0; i <= n; i++) r.u32();
    return false;
  }
  if (op === 0x11 || op === 0x13) return (r.u32(), r.u32(), false);
  if (op === 0x1a || op === 0x1b) return false;
  if (op === 0x1c) {
    const n = r.u32();
    r.skip(n);
    return false;
  }
  if (op >= 0x20 && op <= 0x26) return (r.u32(), false);
  if (op >= 0x28 && op <= 0x3e) return (r.u32(), r.u32(), false);
  if (op === 0x3f || op === 0x40) return (r.u32(), false);
  if (op === 0x41) return (r.sleb(32), false);
  if (op === 0x42) return (r.sleb(64), false);
  if (op === 0x43) return (r.skip(4), false);
  if (op === 0x44) return (r.skip(8), false);
  if (op >= 0x45 && op <= 0xc4) return false;
  if (op === 0xd0) return (r.byte(), false);
  if (op === 0xd1) return false;
  if (op === 0xd2) return (r.u32(), false);
  if (op === 0xfc) {
    const sub = r.u32();
    if (sub <= 7) return false;
    if (sub === 8) return (r.u32(), r.byte(), false);
    if (sub === 9 || sub === 13 || (sub >= 15 && sub <= 17)) return (r.u32(), false);
    if (sub === 10) return (r.byte(), r.byte(), false);
    if (sub === 11) return (r.byte(), false);
    if (sub === 12 || sub === 14) return (r.u32(), r.u32(), false);
    throw new MeterError(`unsupported instruction 0xfc ${sub}`);
  }
  throw new MeterError(
    `unsupported instruction 0x${op.toString(16)} (SIMD, exceptions and threads are refused)`,
  );
}

function check(fuelGlobal: number): number[] {
  const g = leb(fuelGlobal);
  // global.get; i32.const 1; i32.sub; global.set; global.get; i32.const 0; i32.lt_s;
  // if (empty) unreachable end
  return [
    0x23,
    ...g,
    0x41,
    0x01,
    0x6b,
    0x24,
    ...g,
    0x23,
    ...g,
    0x41,
    0x00,
    0x48,
    0x04,
    0x40,
    0x00,
    0x0b,
  ];
}

function meterBody(body: Uint8Array, fuelGlobal: number): number[] {
  const r = new Reader(body);
  const groups = r.u32();
  for (let i = 0; i < groups; i++) {
    r.u32();
    r.byte();
  }
  const probe = check(fuelGlobal);
  const out: number[] = [];
  append(out, body.subarray(0, r.pos));
  append(out, probe);
  let from = r.pos;
  while (r.pos < body.length) {
    const op = r.byte();
    if (skipImmediates(r, op)) {
      append(out, body.subarray(from, r.pos));
      append(out, probe);
      from = r.pos;
    }
  }
  append(out, body.subarray(from));
  return out;
}

/** The module with fuel checks at every function entry and loop head, fuel and state exported. */
export function meterModule(wasm: Uint8Array, initialFuel: number): Uint8Array {
  const r = new Reader(wasm);
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  for (let i = 0; i < 8; i++) {
    if (r.byte() !== header[i]) throw new MeterError('not a wasm module (version 1)');
  }
  const sections: { id: number; body: Uint8Array }[] = [];
  while (r.pos < wasm.length) {
    const id = r.byte();
    const size = r.u32();
    const body = wasm.subarray(r.pos, r.pos + size);
    r.skip(size);
    sections.push({ id, body });
  }
  for (const s of sections) {
    if (s.id === 2 && new Reader(s.body).u32() > 0) {
      throw new MeterError(
        'imports refused: a policy is a pure function (no clock, I/O, randomness)',
      );
    }
  }
  const globalSec = sections.find((s) => s.id === 6);
  // Mutable globals are exported as __state<i> so the host can reset them before every call.
  const mutable: number[] = [];
  let existing = 0;
  const globalsBody: number[] = [];
  if (globalSec) {
    const gr = new Reader(globalSec.body);
    existing = gr.u32();
    for (let i = 0; i < existing; i++) {
      gr.byte();
      if (gr.byte() === 0x01) mutable.push(i);
      for (;;) {
        const op = gr.byte();
        if (op === 0x0b) break;
        skipImmediates(gr, op);
      }
    }
    const afterCount = new Reader(globalSec.body);
    afterCount.u32();
    append(globalsBody, leb(existing + 1));
    append(globalsBody, globalSec.body.subarray(afterCount.pos));
  } else {
    append(globalsBody, leb(1));
  }
  const fuelGlobal = existing;
  // (global (mut i32) (i32.const initialFuel))
  append(globalsBody, [0x7f, 0x01, 0x41, ...slebI32(initialFuel), 0x0b]);

  const out: number[] = [...header];
  let globalWritten = false;
  const writeGlobals = (): void => {
    if (!globalWritten) append(out, section(6, globalsBody));
    globalWritten = true;
  };
  // Section order: type 1, import 2, func 3, table 4, memory 5, tag 13, global 6, export 7, ...
  const order = (id: number): number => (id === 13 ? 5.5 : id === 12 ? 9.5 : id);
  for (const s of sections) {
    if (s.id !== 0 && order(s.id) > 6) writeGlobals();
    if (s.id === 6) {
      writeGlobals();
      continue;
    }
    if (s.id === 7) {
      const er = new Reader(s.body);
      const n = er.u32();
      for (let i = 0; i < n; i++) {
        const len = er.u32();
        const name = new TextDecoder().decode(s.body.subarray(er.pos, er.pos + len));
        if (name.startsWith('__fuel') || name.startsWith(STATE_EXPORT)) {
          throw new MeterError(`a policy may not export ${name} (reserved for the host)`);
        }
        er.skip(len);
        er.byte();
        er.u32();
      }
      const er2 = new Reader(s.body);
      er2.u32();
      const body = [...leb(n + 1 + mutable.length)];
      append(body, s.body.subarray(er2.pos));
      const exportGlobal = (exportName: string, index: number): void => {
        const bytes = new TextEncoder().encode(exportName);
        append(body, leb(bytes.length));
        append(body, bytes);
        body.push(0x03);
        append(body, leb(index));
      };
      exportGlobal(FUEL_EXPORT, fuelGlobal);
      for (const g of mutable) exportGlobal(`${STATE_EXPORT}${g}`, g);
      append(out, section(7, body));
      continue;
    }
    if (s.id === 10) {
      const cr = new Reader(s.body);
      const n = cr.u32();
      const body: number[] = [...leb(n)];
      for (let i = 0; i < n; i++) {
        const size = cr.u32();
        const metered = meterBody(s.body.subarray(cr.pos, cr.pos + size), fuelGlobal);
        cr.skip(size);
        append(body, leb(metered.length));
        append(body, metered);
      }
      append(out, section(10, body));
      continue;
    }
    append(out, section(s.id, s.body));
  }
  writeGlobals();
  if (!sections.some((s) => s.id === 7)) {
    throw new MeterError('a policy must export memory, snapshot_ptr, scores_ptr and decide');
  }
  return Uint8Array.from(out);
}

function slebI32(n: number): number[] {
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}
