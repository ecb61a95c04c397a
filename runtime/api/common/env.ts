import type { Principal } from "../../core/ports/api.js";

/** Hono's typing of what middleware leaves on the context for the routes. */
export interface ApiEnv {
  Variables: {
    /** Who the bearer token belongs to (set by the auth middleware on every route but /health). */
    principal: Principal;
  };
}
