/** A product's error body as one short line: its `detail`/`message` when it has one, else the JSON. */
export function apiText(data: unknown): string {
  if (data == null || data === "") return "no message";
  if (typeof data === "string") return data.slice(0, 500);
  if (isRecord(data)) {
    if (typeof data.detail === "string") return data.detail;
    if (typeof data.message === "string") return data.message;
  }
  return JSON.stringify(data).slice(0, 500);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export const isSuccess = (status: number): boolean => status >= 200 && status < 300;
