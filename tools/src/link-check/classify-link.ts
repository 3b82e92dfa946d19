type LinkTarget =
  | { readonly kind: 'external'; readonly url: string }
  | { readonly kind: 'ignored'; readonly url: string }
  | { readonly kind: 'local'; readonly path: string; readonly anchor: string | undefined };

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // A malformed escape is kept literally; the existence check then reports it.
    return text;
  }
}

/**
 * Splits a markdown URL into what the checker must do with it. `path` is '' for an anchor in the
 * same file; a query string is dropped because files on disk have none.
 */
export function classifyLink(url: string): LinkTarget {
  if (/^https?:\/\//i.test(url)) return { kind: 'external', url };
  if (url.startsWith('//') || SCHEME.test(url)) return { kind: 'ignored', url };
  const hash = url.indexOf('#');
  const beforeHash = hash === -1 ? url : url.slice(0, hash);
  const rawAnchor = hash === -1 ? undefined : url.slice(hash + 1);
  const query = beforeHash.indexOf('?');
  const path = decode(query === -1 ? beforeHash : beforeHash.slice(0, query));
  const anchor = rawAnchor === undefined || rawAnchor === '' ? undefined : decode(rawAnchor);
  return { kind: 'local', path, anchor };
}
