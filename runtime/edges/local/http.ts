import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";

export interface LocalServer {
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  port: number;
  close(): Promise<void>;
}

type FetchHandler = (request: Request) => Response | Promise<Response>;

/**
 * Serves a fetch handler on 127.0.0.1 (port 0: a free one). Unlike a bare `serve()`, a port that is
 * taken rejects with a message naming it instead of crashing the process on an unhandled 'error'.
 */
export function serveLocally(fetch: FetchHandler, port: number): Promise<LocalServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname: "127.0.0.1", port }, (info: AddressInfo) => {
      server.off("error", fail);
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            // Keep-alive connections (monitors, curl loops) would otherwise hold close() open.
            if ("closeAllConnections" in server) server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
    function fail(error: NodeJS.ErrnoException) {
      const reason = error.code === "EADDRINUSE" ? "is already in use" : `cannot be used (${error.message})`;
      reject(new Error(`port ${port} on 127.0.0.1 ${reason}: set PORT to a free port, or leave it unset`));
    }
    server.once("error", fail);
  });
}
