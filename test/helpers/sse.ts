/** The web view's stream (`/events`) as a page would open it, with a wait for a matching event. */
import { readEvents } from "../../bench/lib/net.js";

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

export async function openStream(url: string, headers: Record<string, string> = {}) {
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  let ended = false;
  const notify = () => {
    for (const w of waiters) w();
  };
  const { status, close } = await readEvents(
    url,
    (event, data) => {
      events.push({ event, data });
      notify();
    },
    {
      headers,
      onEnd: () => {
        ended = true;
        notify();
      },
    },
  );
  /** The first event from index `from` on that matches, within `timeoutMs`. */
  const waitFor = (match: (e: SseEvent) => boolean, timeoutMs = 10_000, from = 0) =>
    new Promise<SseEvent>((resolve, reject) => {
      const check = () => {
        const found = events.slice(from).find(match);
        if (found || ended) {
          done();
          if (found) resolve(found);
          else reject(new Error("the stream ended"));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching event within ${timeoutMs} ms (${events.length} received)`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return { status, events, waitFor, close };
}
