import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../runtime/core/observability/logger.js";

// Many log fields carry an outside API's text (an error body, a product's message): a hostile API
// must not be able to write megabytes into the logs through them.

afterEach(() => {
  vi.restoreAllMocks();
});

/** What the logger writes to stdout and stderr, one parsed JSON object per line. */
function captureOutput(): { lines(): Record<string, unknown>[] } {
  const lines: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
  }
  return { lines: () => lines.map((line) => JSON.parse(line)) };
}

describe("the logger", () => {
  it("cuts every string field, at any depth, at 1,000 characters", () => {
    const output = captureOutput();
    const log = createLogger();
    const body = "x".repeat(50_000);

    log.warn("external call failed", { apiMessage: body, detail: { nested: body }, tenantId: "acme" });

    const line = output.lines()[0] as { apiMessage: string; detail: { nested: string }; tenantId: string };
    expect(line.apiMessage).toBe(`${"x".repeat(1_000)}… (49000 more characters)`);
    expect(line.detail.nested).toHaveLength(line.apiMessage.length);
    expect(line.tenantId).toBe("acme");
  });

  it("cuts an error's message", () => {
    const output = captureOutput();
    const log = createLogger();

    log.error("pipeline step failed", { error: new Error(`product said: ${"y".repeat(5_000)}`) });

    const line = output.lines()[0] as { error: { name: string; message: string } };
    expect(line.error.name).toBe("Error");
    expect(line.error.message.length).toBeLessThan(1_100);
    expect(line.error.message).toMatch(/^product said: y+… \(\d+ more characters\)$/);
  });

  it("logs an error as its name, message and stack: not its other properties nor its cause, where a request's credentials may be", () => {
    const output = captureOutput();
    const log = createLogger();
    // The shape of an HTTP client's error: the request it made (headers included) as properties.
    const error = Object.assign(
      new Error("[GET] siesa.example: 500", {
        cause: new Error("ConniToken SECRET-CONNI-TOKEN-123 refused"),
      }),
      { options: { headers: { ConniKey: "SECRET-CONNI-KEY-123" } } },
    );

    log.error("pipeline step failed", { error });
    log.error("pipeline step failed", error);

    const lines = output.lines() as { error: { name: string; message: string } }[];
    expect(lines.map((line) => line.error.message)).toEqual([
      "[GET] siesa.example: 500",
      "[GET] siesa.example: 500",
    ]);
    expect(JSON.stringify(lines)).not.toContain("SECRET-");
  });

  it("leaves short text as it is", () => {
    const output = captureOutput();
    const log = createLogger();

    log.info("run finished", { reason: "3 records rejected" });

    expect(output.lines()[0]).toMatchObject({ message: "run finished", reason: "3 records rejected" });
  });
});
