/**
 * Delivers pages, tickets and resolutions to a webhook (the lab's chat or pager): one JSON POST
 * per notification, in order, retried with doubling back-off (1 s, 2 s, 4 s, …) on a network
 * error or a 5xx/429 answer, given up after `retries` (logged and counted). Off by default.
 */
import type { Logger } from "../../hal/logger.js";
import type { NotificationPayload } from "./types.js";

export interface WebhookSettings {
  url: string;
  retries: number;
  timeoutMs: number;
  /** The first retry's delay, ms (doubles each time). */
  firstRetryMs?: number;
}

export class WebhookNotifier {
  private queue: Promise<void> = Promise.resolve();
  readonly counts = { webhookSent: 0, webhookRetries: 0, webhookFailed: 0 };
  private closed = false;

  constructor(
    private readonly settings: WebhookSettings,
    private readonly logger: Logger,
  ) {}

  send(note: NotificationPayload): void {
    this.queue = this.queue.then(() => this.deliver(note));
  }

  private async deliver(note: NotificationPayload): Promise<void> {
    const { url, retries, timeoutMs } = this.settings;
    let delayMs = this.settings.firstRetryMs ?? 1000;
    for (let attempt = 0; attempt <= retries && !this.closed; attempt++) {
      let why: string;
      try {
        const answer = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(note),
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (answer.ok) {
          this.counts.webhookSent++;
          return;
        }
        why = `HTTP ${answer.status}`;
        if (answer.status < 500 && answer.status !== 429) {
          this.counts.webhookFailed++;
          this.logger.error(
            { url: redact(url), status: answer.status, incident: note.incident },
            "the webhook refused a notification",
          );
          return;
        }
      } catch (err) {
        why = (err as Error).message;
      }
      if (attempt === retries) break;
      this.counts.webhookRetries++;
      this.logger.warn({ url: redact(url), why, retryInMs: delayMs }, "webhook delivery failed: retrying");
      await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
      delayMs *= 2;
    }
    this.counts.webhookFailed++;
    this.logger.error(
      { url: redact(url), incident: note.incident, kind: note.kind },
      "webhook notification given up",
    );
  }

  /** Resolves once everything queued was delivered or given up (bounded by the caller's stop limit). */
  async close(): Promise<void> {
    await this.queue;
    this.closed = true;
  }
}

/** The URL without its query and credentials (tokens often live there). */
function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "(bad url)";
  }
}
