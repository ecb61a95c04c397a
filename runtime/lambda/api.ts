import { handle } from "hono/aws-lambda";
import { createApp } from "../api/app.js";
import { awsApiDependencies } from "../wiring/aws-api-dependencies.js";

/** The API behind API Gateway / a function URL: the same app as locally, wired to AWS. */
export const handler = handle(createApp(awsApiDependencies()));
