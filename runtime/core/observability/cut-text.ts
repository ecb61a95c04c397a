/**
 * Text that comes from outside (an API's error body, a product's message) is cut before it is logged
 * or stored as a reason: a hostile or broken API must not be able to fill the logs or a run record.
 */
export const MAX_OUTSIDE_TEXT = 1_000;

/** `text` if short enough, else its first MAX_OUTSIDE_TEXT characters and a marker of how much was cut. */
export function cutText(text: string, max = MAX_OUTSIDE_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}
