// The herald API as the signed-in token sees it. The token lives in this tab's
// sessionStorage only: never in a URL, a cookie or a log.
const KEY = 'herald.token';

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (t) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

const etags = new Map();  // path -> [etag, body], for conditional polling

// GET/POST/PATCH a JSON endpoint. With `conditional`, answers null when the
// server says nothing changed since the last call (304). `headers`: more
// request headers (an Idempotency-Key).
export async function api(path, { method = 'GET', body, conditional = false, headers: extra = {} } = {}) {
  const headers = { ...extra, Authorization: `Bearer ${token.get()}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (conditional && etags.has(path)) headers['If-None-Match'] = etags.get(path);
  const res = await fetch(path, {
    method, headers, body: body === undefined ? (method === 'GET' ? undefined : '') : JSON.stringify(body),
    cache: 'no-store', credentials: 'omit',
  });
  if (res.status === 304) return null;
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!res.ok && res.status !== 422) throw new ApiError(res.status, json);
  if (res.status === 422 && !(json && json.post)) throw new ApiError(res.status, json);
  if (conditional && res.headers.get('ETag')) etags.set(path, res.headers.get('ETag'));
  return json;
}

// Every page of a listing (posts, audit), following next_cursor.
export async function all(path, max = 5000) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api(path + sep + 'limit=500' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}
