/**
 * Joins a base URL and a path with exactly one slash between them, keeping any path prefix of the
 * base (`new URL(path, base)` would drop it for a path that starts with `/`).
 */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

/** Kong (Django) routes end with a slash; a POST to one without it fails instead of redirecting. */
export function withTrailingSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

export function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, "");
}
