import { handle } from "hono/aws-lambda";
import { awsApiDependencies } from "../aws/api-dependencies.js";
import { createApp } from "./app.js";

/** The API behind API Gateway / a function URL: the same app as locally, wired to AWS. */
export const handler = handle(createApp(awsApiDependencies()));
