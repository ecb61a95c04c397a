import type { Log } from "../../core/observability/logger.js";
import type { EmailChannelPort } from "../../core/ports/notifier.js";

/** `npm start` has no SNS: an email notification is logged (subject and text) instead of sent. */
export const loggedEmail = (log: Log): EmailChannelPort => ({
  async send(tenantId, subject, text) {
    log.info("email notification (logged: npm start sends no email)", { tenantId, subject, text });
  },
});
