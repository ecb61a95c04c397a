/** What a masked credential reads as. */
export const MASK = "***";

/** Shorter values are left as they are: masking them would mask ordinary words of the answer. */
const SHORTEST_MASKED = 4;

/**
 * An answer's body (text or parsed JSON) with every one of `secrets` masked, in each form a server
 * may quote it in: as sent, JSON-escaped (a JSON body quoted inside text) and URL-encoded. Keys are
 * masked as well as values: an error body may name a field after what it was sent.
 */
export function withoutSecrets<T>(data: T, secrets: readonly string[]): T {
  const forms = secrets
    .filter((secret) => secret.length >= SHORTEST_MASKED)
    .flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]);
  if (forms.length === 0) return data;
  // Longest first: a form that contains another is masked whole.
  const sorted = [...new Set(forms)].sort((a, b) => b.length - a.length);
  return masked(data, sorted) as T;
}

function masked(value: unknown, forms: readonly string[]): unknown {
  if (typeof value === "string") {
    let text = value;
    for (const form of forms) if (text.includes(form)) text = text.split(form).join(MASK);
    return text;
  }
  if (Array.isArray(value)) return value.map((item) => masked(item, forms));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [masked(key, forms), masked(inner, forms)]),
    );
  }
  return value;
}
