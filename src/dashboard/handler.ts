/// <reference types="node" />
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBreakers, toView } from "./breaker-view.js";
import { ControlAuth } from "./control-auth.js";
import { isControlAction, runControl } from "./controls.js";
import { SnapshotStream } from "./event-stream.js";
import { readDashboardOptions, type DashboardOptions } from "./options.js";
import { renderPage } from "./page-html.js";
import { securityHeaders, sendError, sendJson } from "./responses.js";

/**
 * A Node request handler serving the dashboard, with `close()` to end its open event streams
 * (a server's `close()` waits for them otherwise).
 */
export interface DashboardHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** Ends every open `GET /events` stream; the handler keeps answering requests. */
  close(): void;
}

/**
 * Serves a live dashboard of a monitor's breakers, as a plain Node request handler:
 *
 * - `GET /`: the page (a card per breaker, live over `events`; controls when a `token` is set);
 * - `GET /snapshot`: every breaker as JSON (see {@link DashboardBreaker});
 * - `GET /events`: server-sent events, each `data:` line a JSON array of every breaker, pushed on
 *   every change of state or mode, on a breaker added or removed, and every `heartbeat` ms;
 * - `POST /breakers/<name>/<action>` (`name` URL-encoded; action `open`, `close`, `reset`,
 *   `force-open`, `disable`, `enable`) with `Authorization: Bearer <token>`: 401 without it or
 *   with a wrong one (checked before the name, so nothing is learnt without it), 403 for every
 *   control when no `token` is configured, 404 for an unknown breaker.
 *
 * Unknown paths answer 404, a wrong method 405 (with `Allow`); every answer is JSON
 * (`{ "error": "..." }` on errors) but the page and the stream. No cookies, no CORS headers.
 *
 * The handler routes on `req.url` as it is handed over. Under a prefix, either the framework strips
 * it (Express: `app.use("/breakers", handler)`) or `basePath` names it (plain `node:http`,
 * Fastify). The page's own URLs are relative to where it was loaded, so it works under any prefix.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { createDashboard } from "aiobreaker/dashboard";
 *
 * const dashboard = createDashboard({ monitor, token: process.env.DASHBOARD_TOKEN });
 * const server = createServer(dashboard).listen(8080, "127.0.0.1");
 * // On shutdown: end the event streams, then the server can close.
 * dashboard.close();
 * server.close();
 * ```
 */
export function createDashboard(options: DashboardOptions): DashboardHandler {
  const { monitor, token, basePath, heartbeat } = readDashboardOptions(options);
  const auth = new ControlAuth(token);
  const page = renderPage(auth.enabled);
  const stream = new SnapshotStream(monitor, heartbeat, () =>
    JSON.stringify(readBreakers(monitor)),
  );

  function route(req: IncomingMessage, res: ServerResponse): void {
    // A server's request always has both (they are optional for a client's response).
    const method = req.method as string;
    const url = req.url as string;
    const path = localPath(url, basePath);
    if (path === "/") {
      if (!allow(method, res, "GET, HEAD")) return;
      res.writeHead(200, {
        ...securityHeaders,
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": page.contentSecurityPolicy,
        "X-Frame-Options": "DENY",
        "Content-Length": String(Buffer.byteLength(page.html)),
      });
      res.end(page.html);
      return;
    }
    if (path === "/snapshot") {
      if (!allow(method, res, "GET, HEAD")) return;
      sendJson(res, 200, readBreakers(monitor));
      return;
    }
    if (path === "/events") {
      if (!allow(method, res, "GET")) return;
      stream.open(res);
      return;
    }
    const control = path === undefined ? undefined : /^\/breakers\/([^/]+)\/([^/]+)$/.exec(path);
    const encodedName = control?.[1];
    const action = control?.[2];
    if (encodedName === undefined || action === undefined || !isControlAction(action)) {
      sendError(res, 404, `no such path: ${oneLine(method)} ${oneLine(url)}`);
      return;
    }
    if (!allow(method, res, "POST")) return;
    // The body means nothing here; reading it lets the connection serve the next request.
    req.resume();
    const verdict = auth.check(req.headers.authorization);
    if (verdict === "disabled") {
      sendError(res, 403, "controls are off: the dashboard was created without a token");
      return;
    }
    if (verdict !== "accepted") {
      sendError(
        res,
        401,
        verdict === "missing"
          ? "this control needs Authorization: Bearer <token>"
          : "the bearer token is not the dashboard's",
        { "WWW-Authenticate": 'Bearer realm="aiobreaker dashboard"' },
      );
      return;
    }
    let name: string;
    try {
      name = decodeURIComponent(encodedName);
    } catch {
      sendError(
        res,
        400,
        `the breaker name in the path is not valid URL encoding: ${oneLine(encodedName)}`,
      );
      return;
    }
    const breaker = monitor.get(name);
    if (breaker === undefined) {
      sendError(res, 404, `no breaker named ${oneLine(JSON.stringify(name))} in this monitor`);
      return;
    }
    runControl(breaker, action);
    // A control that changes neither state nor mode (reset of a closed breaker with failures)
    // must still reach the open pages.
    stream.schedule();
    sendJson(res, 200, { action, breaker: toView(breaker.toJSON(), Date.now()) });
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      route(req, res);
    } catch (error) {
      console.error("aiobreaker dashboard: a request failed", error);
      if (res.headersSent) {
        res.destroy();
      } else {
        sendError(res, 500, "the dashboard failed to answer; the server log has the cause");
      }
    }
  };
  return Object.assign(handler, {
    close: () => {
      stream.close();
    },
  });
}

/** The path within the dashboard, or `undefined` outside `basePath`. */
function localPath(url: string, basePath: string): string | undefined {
  const query = url.indexOf("?");
  const path = query === -1 ? url : url.slice(0, query);
  if (basePath === "") return path;
  if (path === basePath) return "/";
  return path.startsWith(`${basePath}/`) ? path.slice(basePath.length) : undefined;
}

/** Whether the method is one of `methods`; if not, answers 405 with `Allow`. */
function allow(method: string, res: ServerResponse, methods: string): boolean {
  if (methods.split(", ").includes(method)) return true;
  sendError(res, 405, `${oneLine(method)} is not allowed here; use ${methods}`, { Allow: methods });
  return false;
}

/** A request's text shown in a message: one line, bounded. */
function oneLine(text: string): string {
  const flat = text.replace(/[\r\n\t]+/g, " ");
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
