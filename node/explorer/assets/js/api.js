// The node's /v1 API as the explorer calls it: every read carries the
// signed read session, every error becomes an ApiError with the API's
// code, and the event stream is read with fetch (EventSource cannot send
// an Authorization header).

/** ApiError is an error answer of the node, or the node not answering. */
export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.name = "ApiError";
    this.status = status; // 0: no answer (node down, network)
    this.code = code;
    this.retryAfter = retryAfter;
  }

  /** hint says what the user can do about it. */
  get hint() {
    if (this.status === 0) return "The node does not answer: is it running, and is this its address?";
    if (this.status === 401) return "Your read session was refused: sign in again.";
    if (this.code === "not_a_member") return "This key belongs to no organisation of the network: sign in with a member's key, or ask an organisation admin to add it (meshledger member add).";
    if (this.status === 403) return "The network's access rules do not let this key read or do that.";
    if (this.status === 429 || this.status === 503) return `The node is busy: try again${this.retryAfter ? ` in ${this.retryAfter} s` : " shortly"}.`;
    return "";
  }
}

const decodeError = async (res) => {
  let code = `http_${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  try {
    const body = await res.json();
    if (body?.error) ({ code, message } = body.error);
    if (body?.error?.pointer !== undefined) message += ` (at ${body.error.pointer || "the arguments"})`;
  } catch { /* not JSON: keep the status */ }
  return new ApiError(res.status, code, message, res.headers.get("Retry-After"));
};

/** Api calls one node (same origin by default). */
export class Api {
  constructor(base = "", session = null) {
    this.base = base;
    this.session = session; // async () => Authorization value, or null
  }

  /**
   * request calls the node. body is sent as JSON, bodyText as is (JSON
   * text built elsewhere, exact integers kept); raw returns the body as
   * text instead of parsed JSON.
   */
  async request(method, path, { body, bodyText, auth = true, signal, raw = false } = {}) {
    const headers = {};
    if (body !== undefined) bodyText = JSON.stringify(body);
    if (bodyText !== undefined) headers["Content-Type"] = "application/json";
    if (auth && this.session) headers.Authorization = await this.session();
    let res;
    try {
      res = await fetch(this.base + path, { method, headers, body: bodyText, signal });
    } catch (err) {
      if (err.name === "AbortError") throw err;
      throw new ApiError(0, "unreachable", `the node did not answer: ${err.message}`);
    }
    if (!res.ok && res.status !== 202) throw await decodeError(res);
    return { status: res.status, body: raw ? await res.text() : await res.json() };
  }

  async get(path, opts) {
    return (await this.request("GET", path, opts)).body;
  }

  async post(path, body, opts) {
    return this.request("POST", path, { ...opts, body });
  }

  /** chain is GET /v1/chain (anonymous). */
  chain() {
    return this.get("/v1/chain", { auth: false });
  }

  /**
   * events reads GET /v1/events until signal aborts, calling onItem({type,
   * id, data}) per item. It resumes after a dropped connection from the
   * last id it saw and reports each error to onError.
   */
  async events(query, onItem, onError, signal) {
    let lastId = "";
    while (!signal.aborted) {
      try {
        const headers = { Authorization: await this.session() };
        if (lastId) headers["Last-Event-ID"] = lastId;
        const res = await fetch(`${this.base}/v1/events${query}`, { headers, signal });
        if (!res.ok) throw await decodeError(res);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let cut;
          while ((cut = buf.indexOf("\n\n")) >= 0) {
            const frame = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            const item = { type: "message", id: "", data: "" };
            for (const line of frame.split("\n")) {
              if (line.startsWith(":")) continue;
              const i = line.indexOf(":");
              const field = i < 0 ? line : line.slice(0, i);
              const v = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
              if (field === "event") item.type = v;
              else if (field === "id") item.id = v;
              else if (field === "data") item.data += (item.data ? "\n" : "") + v;
            }
            if (!item.data) continue;
            if (item.id) lastId = item.id;
            onItem({ ...item, data: JSON.parse(item.data) });
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        onError(err instanceof ApiError ? err : new ApiError(0, "unreachable", `event stream: ${err.message}`));
        if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429) return;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}
