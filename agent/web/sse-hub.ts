/**
 * The open pages, each a Server-Sent Events stream: a `snapshot` when it opens, then at most
 * `updateHz` `update` frames a second holding what changed (agent/web/live-feed.ts). A page that
 * cannot keep up (its socket buffer over `MAX_BUFFERED_BYTES`) is skipped, counted, and sent a
 * fresh snapshot once it has drained, so a slow laptop on Wi-Fi costs the agent no memory.
 */
import type { ServerResponse } from "node:http";
import type { WebRole } from "../../config/web.js";
import type { Logger } from "../../hal/logger.js";
import type { LiveFeed } from "./live-feed.js";

/** Pages open at once at most; one more is answered 503. */
export const MAX_PAGES = 20;
const MAX_BUFFERED_BYTES = 1 << 20;
/** A page that fell behind gets its snapshot once its buffer is below this. */
const DRAINED_BYTES = 64 << 10;
/** A comment line this often keeps proxies and the browser from closing an idle stream. */
const HEARTBEAT_MS = 15_000;

interface Page {
  res: ServerResponse;
  role: WebRole;
  behind: boolean;
}

export class SseHub {
  private readonly pages = new Set<Page>();
  private timer: NodeJS.Timeout | undefined;
  private lastSentMs = 0;
  readonly counts = { framesSent: 0, framesSkipped: 0, resyncs: 0, pagesRefused: 0 };

  constructor(
    private readonly feed: LiveFeed,
    private readonly updateHz: number,
    private readonly logger: Logger,
  ) {}

  get open(): number {
    return this.pages.size;
  }

  start(): void {
    this.timer = setInterval(() => this.flush(), Math.round(1000 / this.updateHz));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    for (const page of this.pages) page.res.end();
    this.pages.clear();
  }

  /** Opens a stream for one page; false when there are too many already. */
  add(res: ServerResponse, role: WebRole): boolean {
    if (this.pages.size >= MAX_PAGES) {
      this.counts.pagesRefused++;
      return false;
    }
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
    });
    const page: Page = { res, role, behind: false };
    this.pages.add(page);
    res.on("close", () => this.pages.delete(page));
    this.sendSnapshot(page);
    this.logger.debug({ role, pages: this.pages.size }, "web: a page opened");
    return true;
  }

  /** Sends what changed to every page (the timer calls it; tests may too). */
  flush(): void {
    const frame = this.feed.takeFrame();
    const now = Date.now();
    if (!frame) {
      if (now - this.lastSentMs >= HEARTBEAT_MS) {
        this.lastSentMs = now;
        for (const page of this.pages) page.res.write(": still here\n\n");
      }
      return;
    }
    this.lastSentMs = now;
    const message = `event: update\ndata: ${JSON.stringify(frame)}\n\n`;
    for (const page of this.pages) {
      if (page.behind) {
        if (page.res.writableLength > DRAINED_BYTES) {
          this.counts.framesSkipped++;
          continue;
        }
        this.counts.resyncs++;
        this.sendSnapshot(page);
        continue;
      }
      if (page.res.writableLength > MAX_BUFFERED_BYTES) {
        page.behind = true;
        this.counts.framesSkipped++;
        this.logger.warn(
          { bufferedBytes: page.res.writableLength },
          "web: a page is not keeping up; it gets a fresh snapshot once it has caught up",
        );
        continue;
      }
      page.res.write(message);
      this.counts.framesSent++;
    }
  }

  private sendSnapshot(page: Page): void {
    page.behind = false;
    const snapshot = { role: page.role, ...this.feed.snapshot() };
    page.res.write(`event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
  }
}
