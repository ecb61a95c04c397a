import { createHash } from "node:crypto";
import type { Child } from "hono/jsx";
import { CONSOLE_SCRIPT } from "./script.js";
import { CONSOLE_CSS } from "./styles.js";

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

/**
 * The pages' Content-Security-Policy: only this console's own inline script and stylesheet run, data
 * comes from this origin only, and nothing else loads (no third-party script could read the token).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(CONSOLE_SCRIPT)}`,
  `style-src ${sha256(CONSOLE_CSS)}`,
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export interface ShellProps {
  title: string;
  /** Breadcrumbs after "Tenants", e.g. the tenant's page on a run. */
  trail?: { href: string; label: string }[];
  /** The page's data: an HTML fragment fetched with the token, and how often (ms) to fetch it again. */
  fragment: string;
  refreshMs: number;
}

/**
 * A console page: the frame, the sign-in form and an empty main that the script fills from the
 * page's fragment. The page itself holds no data, so it is served without a token.
 */
export function Shell(props: ShellProps): Child {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{`${props.title} · siesa-integration console`}</title>
        <style dangerouslySetInnerHTML={{ __html: CONSOLE_CSS }} />
      </head>
      <body>
        <header>
          <nav aria-label="Breadcrumbs">
            <a href="/console">Tenants</a>
            {(props.trail ?? []).map((step) => (
              <>
                <span aria-hidden="true">›</span>
                <a href={step.href}>{step.label}</a>
              </>
            ))}
          </nav>
          <button type="button" id="sign-out" hidden>
            Sign out
          </button>
        </header>
        <div class="page">
          <h1>{props.title}</h1>
          <noscript>
            <p class="message error">
              This console needs JavaScript: its pages read their data with the token this tab keeps. Allow
              scripts for this site, or use the JSON API (docs/api.md).
            </p>
          </noscript>
          <p id="message" class="message" hidden />
          {/* method=post: should the script not run, the token still never lands in a URL. */}
          <form id="sign-in" class="sign-in" method="post" hidden>
            <label>
              Token
              <input name="token" type="password" autocomplete="off" required />
            </label>
            <button type="submit">Sign in</button>
          </form>
          <main id="content" data-fragment={props.fragment} data-refresh={String(props.refreshMs)} hidden />
        </div>
        <script dangerouslySetInnerHTML={{ __html: CONSOLE_SCRIPT }} />
      </body>
    </html>
  );
}
