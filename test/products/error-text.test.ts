import { describe, expect, it } from "vitest";
import { apiText } from "../../runtime/edges/http/products/api-text.js";
import { drfMessage } from "../../runtime/edges/http/products/kong-errors.js";
import { wmsMessage } from "../../runtime/edges/http/products/wms-errors.js";

// A product's error text becomes a record's reason and a log field: whatever the product sends,
// at most 1,000 characters of it are kept.

const long = "z".repeat(20_000);
const cut = /^.{1000}… \(\d+ more characters\)$/s;

describe("product error text is cut at 1,000 characters", () => {
  it.each([
    ["apiText of a plain body", () => apiText(long)],
    ["apiText of a detail", () => apiText({ detail: long })],
    ["apiText of a message", () => apiText({ message: long })],
    ["apiText of other JSON", () => apiText({ whatever: [long] })],
    ["drfMessage of field errors", () => drfMessage({ name: [long], sku: [long] })],
    ["drfMessage of a plain body", () => drfMessage(long)],
    [
      "wmsMessage of validation errors",
      () => wmsMessage({ message: long, errors: [{ field: "name", message: long }] }),
    ],
  ])("%s", (_, message) => {
    expect(message()).toMatch(cut);
  });

  it("keeps a short message whole", () => {
    expect(drfMessage({ name: ["Ensure this field has no more than 255 characters."] })).toBe(
      "name: Ensure this field has no more than 255 characters.",
    );
  });
});
