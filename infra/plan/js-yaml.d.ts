/**
 * js-yaml ships with @pulumi/pulumi (its dependency), without types. The plan only needs `load`.
 * If the project ever adds @types/js-yaml, delete this file.
 */
declare module "js-yaml" {
  export function load(text: string, options?: { filename?: string }): unknown;
}
