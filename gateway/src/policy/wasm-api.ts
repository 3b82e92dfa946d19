// The slice of the WebAssembly JS API the policy host uses. The repo compiles without the DOM lib
// and @types/node 20 declares only part of this namespace, so it is typed here once.
export interface WasmGlobal {
  value: number | bigint;
}
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmModuleImport {
  module: string;
  name: string;
  kind: string;
}
interface WasmApi {
  Module: {
    new (bytes: Uint8Array): object;
    imports(module: object): WasmModuleImport[];
  };
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: abstract new (...args: never[]) => WasmMemory;
  Global: abstract new (...args: never[]) => WasmGlobal;
}

export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
