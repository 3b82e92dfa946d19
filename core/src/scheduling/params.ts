// Param checks shared by plugin factories: bad params are INVALID_PARAMS at config load.
import { CoreError } from '../errors.js';

/** For plugins without params: any param is a config mistake, so refuse it. */
export function noParams<T>(type: string, params: Record<string, unknown>, plugin: T): T {
  const keys = Object.keys(params);
  if (keys.length > 0) {
    throw new CoreError(
      'INVALID_PARAMS',
      `placement plugin ${type} takes no params (got ${keys.join(', ')})`,
    );
  }
  return plugin;
}
