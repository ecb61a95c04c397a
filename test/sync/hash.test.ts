import { describe, expect, it } from "vitest";
import { canonicalJson, payloadHash } from "../../runtime/core/domain/hash.js";

// The ledger keeps a hash of every payload it wrote: were the text behind it to change, every record
// would look changed and be written again on the next run.

const payload = {
  sku: "A-1",
  name: "Camisa",
  active: true,
  dropped: undefined,
  price: 12.5,
  barcodes: [{ unit: "UND", code: "770" }, undefined],
  z: { b: null, a: [1, "x"] },
};

describe("a payload's fingerprint", () => {
  it("is its JSON with keys sorted at every level, undefined fields left out and undefined items null", () => {
    expect(canonicalJson(payload)).toBe(
      '{"active":true,"barcodes":[{"code":"770","unit":"UND"},null],"name":"Camisa","price":12.5,"sku":"A-1","z":{"a":[1,"x"],"b":null}}',
    );
  });

  it("is the same hash the ledger's entries were written with, whatever the keys' order", () => {
    const reordered = {
      z: { a: [1, "x"], b: null },
      barcodes: payload.barcodes,
      price: 12.5,
      active: true,
      name: "Camisa",
      sku: "A-1",
    };

    expect(payloadHash(payload)).toBe("5tNTE6HLmmOFgp9nYqjRHMXFTh3ow_jwK0vNeLeeTn4");
    expect(payloadHash(reordered)).toBe(payloadHash(payload));
  });
});
