import { fileURLToPath } from "node:url";

/** The repository's root folder (this file is in infra/), for the files the tools read and write. */
export const REPOSITORY_ROOT = fileURLToPath(new URL("../", import.meta.url));
