import { describe, expect, it } from "vitest";
import { ExternalCallError } from "../../runtime/core/ports/call-errors.js";
import { CredentialsError } from "../../runtime/core/ports/pipeline.js";
import { ProductAuthError } from "../../runtime/core/ports/product-auth-error.js";
import { SiesaAuthError } from "../../runtime/core/ports/siesa-errors.js";
import { apiOf, isRunStopping } from "../../runtime/core/steps/failures.js";

// What the ApiErrors metric (and so the alarms and the dashboard) says an error was.
describe("apiOf", () => {
  it("names the outside API and status of every kind of failure", () => {
    expect(apiOf(new ExternalCallError("kong-rfid", "create sku", 503, "down", true))).toEqual({
      api: "kong-rfid",
      status: "503",
    });
    expect(apiOf(new ExternalCallError("siesa", "API_v2_Items", "timeout", "no answer", true))).toEqual({
      api: "siesa",
      status: "timeout",
    });
    expect(apiOf(new ProductAuthError("wms", "acme", 401, "Unauthorized"))).toEqual({
      api: "wms",
      status: "401",
    });
    expect(apiOf(new SiesaAuthError("acme"))).toEqual({ api: "siesa", status: "401" });
    expect(apiOf(new CredentialsError("secret siesa-integration/acme/siesa: conniKey missing"))).toEqual({
      api: "secrets",
      status: "unusable",
    });
    expect(apiOf(new TypeError("bug"))).toEqual({ api: "internal", status: "TypeError" });
  });

  it("stops a run only for credentials that stay refused", () => {
    expect(isRunStopping(new ProductAuthError("kong-rfid", "acme", 401, "Invalid token."))).toBe(true);
    expect(isRunStopping(new ExternalCallError("kong-rfid", "create sku", 500, "boom", true))).toBe(false);
  });
});
