// One error type for every toolchain failure: a stable code, what is wrong, and how to fix it.

export type ToolchainErrorCode =
  | 'TOOLCHAIN_MISSING'
  | 'TOOLCHAIN_CORRUPT'
  | 'MODEL_DIGEST_MISMATCH'
  | 'PREREQUISITE_MISSING'
  | 'CONFIG_INVALID'
  | 'FETCH_FAILED'
  | 'BUILD_FAILED'
  | 'VERIFY_FAILED';

export class ToolchainError extends Error {
  readonly code: ToolchainErrorCode;
  readonly fix: string;

  constructor(code: ToolchainErrorCode, message: string, fix: string, options?: ErrorOptions) {
    super(`${message}\n  fix: ${fix}`, options);
    this.name = 'ToolchainError';
    this.code = code;
    this.fix = fix;
  }
}

export const BOOTSTRAP_HINT = 'run `npm run bootstrap` (or `node tools/launch.mjs bootstrap`)';

export function isToolchainError(e: unknown): e is ToolchainError {
  return e instanceof ToolchainError;
}
