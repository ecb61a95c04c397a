import { createServer } from "node:net";

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now, for programs that cannot be asked
 * for port 0 (dynalite's CLI, DynamoDB Local) or tests that need a fixed PORT.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}
