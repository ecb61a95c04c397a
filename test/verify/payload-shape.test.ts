import { describe, expect, it } from "vitest";
import { payloadHash } from "../../runtime/core/domain/hash.js";
import { holdsWrittenPayload } from "../../runtime/core/verify/compare.js";
import { payloadShape } from "../../runtime/core/verify/payload-shape.js";

// What verify compares: only the keys our payload sets, read back the way the product hands them.

const shape = payloadShape({
  external_id: "sourceId",
  name: "name",
  type_id: { pipe: [["fromTenant", "type_id"], "toInteger"] },
  ean: { from: "barcodes", pipe: ["first"] },
  properties: { fields: { unit: "unit", barcodes: "barcodes" } },
});
const written = {
  external_id: 1042,
  name: "Camisa azul",
  type_id: 4,
  properties: { unit: "UND", barcodes: ["7701"] },
};
const ledgerHash = payloadHash(written);

describe("does the product still hold what we wrote?", () => {
  it("yes, when it adds fields of its own, answers null for a key we left out, and nests its own keys", () => {
    const listed = {
      id: 7,
      ...written,
      ean: null,
      upc: null,
      params: {},
      properties: { ...written.properties, added_by_kong: true },
    };

    expect(holdsWrittenPayload(listed, shape, ledgerHash)).toBe(true);
  });

  it("yes, when a text field hands back as text the number we sent (DRF's CharField)", () => {
    expect(holdsWrittenPayload({ ...written, external_id: "1042" }, shape, ledgerHash)).toBe(true);
  });

  it("yes, when it answers an empty text for a key we left out or sent as null (a text field that holds no null)", () => {
    const sentNull = { ...written, ean: null };

    expect(holdsWrittenPayload({ ...written, ean: "" }, shape, ledgerHash)).toBe(true);
    expect(holdsWrittenPayload({ ...written, ean: "  " }, shape, ledgerHash)).toBe(true);
    expect(holdsWrittenPayload({ ...written, ean: "" }, shape, payloadHash(sentNull))).toBe(true);
  });

  it("no, when a text we set was emptied, or one we sent empty now has a value", () => {
    const withEan = { ...written, ean: "7701" };
    const sentEmpty = { ...written, ean: "" };

    expect(holdsWrittenPayload({ ...written, ean: "" }, shape, payloadHash(withEan))).toBe(false);
    expect(holdsWrittenPayload({ ...written, ean: null }, shape, payloadHash(withEan))).toBe(false);
    expect(holdsWrittenPayload({ ...written, ean: "7701" }, shape, payloadHash(sentEmpty))).toBe(false);
    expect(holdsWrittenPayload({ ...written, ean: "" }, shape, payloadHash(sentEmpty))).toBe(true);
  });

  it("no, when a value we set changed, even inside a nested object", () => {
    expect(holdsWrittenPayload({ ...written, name: "Camisa roja" }, shape, ledgerHash)).toBe(false);
    expect(
      holdsWrittenPayload({ ...written, properties: { unit: "KLS", barcodes: ["7701"] } }, shape, ledgerHash),
    ).toBe(false);
  });

  it("no, when a key we set is gone, or one we left out now has a value", () => {
    const { name: _, ...withoutName } = written;
    expect(holdsWrittenPayload(withoutName, shape, ledgerHash)).toBe(false);
    expect(holdsWrittenPayload({ ...written, ean: "7701" }, shape, ledgerHash)).toBe(false);
  });
});
