/** Port for messages to workers (one-time codes now; shift offers later). */
export interface Notifier {
  sendOneTimeCode(phone: string, code: string): Promise<void>;
}

/** Embedded default: no SMS provider, the code goes to the log (and, in dev mode, to the login page). */
export function createLogNotifier(log: (msg: string, fields: Record<string, unknown>) => void): Notifier {
  return {
    async sendOneTimeCode(phone, code) {
      log("one-time login code (no SMS provider configured)", { phone, code });
    },
  };
}
