import { describe, expect, it } from "vitest";
import { compileStep, Rejected, type Step, type Value } from "../../runtime/core/domain/transforms.js";
import { aTenant } from "../tenants/factories.js";

const tenant = aTenant((t) => {
  t.product.defaults = { customer_id: 17, type_id: "4", active_flag: true, "unit.KLS": "KG" };
});

/** Runs `steps` over `value` as a mapping pipeline would: the result, or `{ rejected: reason }`. */
function apply(steps: Step[], value: Value): Value | { rejected: string } {
  let current: Value = value;
  const context = { trimmed: false };
  for (const step of steps) {
    const fn = compileStep(step, { ...context });
    if (typeof fn === "string") throw new Error(fn);
    const out = fn(current, tenant);
    if (out instanceof Rejected) return { rejected: out.reason };
    current = out;
    if (step === "trim") context.trimmed = true;
  }
  return current;
}

describe("transforms", () => {
  it.each<[string, Step[], Value, Value | { rejected: string }]>([
    ["trim", ["trim"], "  CAM-1  ", "CAM-1"],
    ["trim leaves numbers alone", ["trim"], 42, 42],
    ["trim each item of a list", ["trim"], [" a ", "b "], ["a", "b"]],
    ["upper", ["upper"], "und", "UND"],
    ["lower", ["lower"], "UND", "und"],
    ["toInteger from text", ["toInteger"], " 0042 ", 42],
    ["toInteger keeps an integer", ["toInteger"], 7, 7],
    ["toInteger makes empty text absent", ["toInteger"], "", undefined],
    ["toInteger refuses a decimal", ["toInteger"], "4.5", { rejected: "must be an integer (got 4.5)" }],
    ["toInteger refuses words", ["toInteger"], "abc", { rejected: "must be an integer (got abc)" }],
    ["toNumber", ["toNumber"], "12.50", 12.5],
    ["toNumber refuses words", ["toNumber"], "doce", { rejected: "must be a number (got doce)" }],
    ["toBoolean from Siesa's S", ["toBoolean"], "S", true],
    ["toBoolean from 0", ["toBoolean"], 0, false],
    [
      "toBoolean refuses others",
      ["toBoolean"],
      "maybe",
      { rejected: "must be a yes/no value: 1/0, true/false, S/N (got maybe)" },
    ],
    ["toString", ["toString"], 1042, "1042"],
    ["required passes a value", ["required"], "x", "x"],
    ["required refuses null", ["required"], null, { rejected: "required: missing" }],
    ["required refuses empty text", ["required"], "", { rejected: "required: empty" }],
    ["required after trim says so", ["trim", "required"], "   ", { rejected: "required: empty after trim" }],
    ["required refuses an empty list", ["required"], [], { rejected: "required: empty" }],
    ["default fills an absent value", [["default", "sin descripción"]], null, "sin descripción"],
    ["default fills empty text", [["default", 0]], "", 0],
    ["default keeps a value", [["default", "x"]], "y", "y"],
    ["first", ["first"], ["b", "a"], "b"],
    ["first of an empty list is absent", ["first"], [], undefined],
    ["firstBarcode is first", ["firstBarcode"], ["7700000000019"], "7700000000019"],
    ["compact", ["compact"], ["a", "", null, "b"], ["a", "b"]],
    ["unique", ["unique"], ["b", "a", "b"], ["b", "a"]],
    ["sort text by code unit", ["sort"], ["b", "B", "a"], ["B", "a", "b"]],
    ["sort numbers numerically", ["sort"], [10, 9, 100], [9, 10, 100]],
    ["constant ignores the input", [["constant", true]], "anything", true],
    ["fromTenant reads product.defaults", [["fromTenant", "customer_id"]], undefined, 17],
    ["fromTenant of a key the tenant lacks is absent", [["fromTenant", "nope"]], undefined, undefined],
    ["oneOf passes a listed value", [["oneOf", ["UND", "KLS"]]], "KLS", "KLS"],
    ["ifPresent replaces a present value", [["ifPresent", "EAN"]], "7701", "EAN"],
    ["ifPresent keeps an absent value absent", [["ifPresent", "EAN"]], undefined, undefined],
    ["ifPresent takes an empty text for absent", [["ifPresent", "EAN"]], "", undefined],
    [
      "mapThrough translates through its table",
      [["mapThrough", { table: { true: "ACTIVE", false: "INACTIVE" } }]],
      false,
      "INACTIVE",
    ],
    [
      "mapThrough takes the tenant's own entry first",
      [["mapThrough", { table: { UND: "UNIT", KLS: "KILO" }, tenantKey: "unit" }]],
      "KLS",
      "KG",
    ],
    [
      "mapThrough falls back to its table where the tenant has no entry",
      [["mapThrough", { table: { UND: "UNIT" }, tenantKey: "unit" }]],
      "UND",
      "UNIT",
    ],
    [
      "mapThrough refuses a value neither knows, naming the tenant key that would translate it",
      [["mapThrough", { table: { UND: "UNIT" }, tenantKey: "unit" }]],
      "CAJ",
      {
        rejected:
          'has no translation for CAJ (known: UND or product.defaults["unit.CAJ"] in the tenant file)',
      },
    ],
    [
      "oneOf refuses others",
      [["oneOf", ["UND", "KLS"]]],
      "???",
      { rejected: "must be one of UND, KLS (got ???)" },
    ],
    ["oneOf lets an absent value through", [["oneOf", ["UND"]]], null, null],
    ["maxLength passes short text", [["maxLength", 5]], "abcde", "abcde"],
    [
      "maxLength refuses long text",
      [["maxLength", 5]],
      "abcdef",
      { rejected: "must be at most 5 characters (got 6)" },
    ],
    ["truncate", [["truncate", 3]], "abcdef", "abc"],
    ["a chain", [["fromTenant", "type_id"], "toInteger", "required"], undefined, 4],
  ])("%s", (_name, steps, input, expected) => {
    expect(apply(steps, input)).toEqual(expected);
  });

  it.each<[string, unknown, string]>([
    ["an unknown name", "trimm", 'unknown transform "trimm" (known: trim, upper'],
    [
      "a missing argument",
      "default",
      'transform "default" takes one argument: write ["default", <argument>]',
    ],
    ["an argument where none is taken", ["trim", 1], 'transform "trim" takes no argument'],
    ["a bad argument", ["maxLength", -1], 'transform "maxLength" needs a positive integer (got -1)'],
    ["an empty choice", ["oneOf", []], 'transform "oneOf" needs a non-empty list of values (got [])'],
    [
      "a non-scalar default",
      ["default", { a: 1 }],
      'transform "default" needs a string, number, boolean or null',
    ],
    [
      "an unnamed tenant key",
      ["fromTenant", ""],
      'transform "fromTenant" needs the name of a key in tenant product.defaults',
    ],
  ])("refuses %s when compiled", (_name, step, problem) => {
    expect(compileStep(step, { trimmed: false })).toEqual(expect.stringContaining(problem));
  });
});
