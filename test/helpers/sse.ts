/** A Server-Sent Events reader for the web view's stream (`/events`), as a page would open it. */

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

export async function openStream(url: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  let ended = false;
  if (res.ok && res.body)
    void (async () => {
      const decoder = new TextDecoder();
      let buffered = "";
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffered += decoder.decode(chunk, { stream: true });
          let end = buffered.indexOf("\n\n");
          while (end >= 0) {
            const block = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event && data) events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
            end = buffered.indexOf("\n\n");
          }
          for (const w of waiters) w();
        }
      } catch {
        // aborted by close()
      }
      ended = true;
      for (const w of waiters) w();
    })();
  /** The first event from index `from` on that matches, within `timeoutMs`. */
  const waitFor = (match: (e: SseEvent) => boolean, timeoutMs = 10_000, from = 0) =>
    new Promise<SseEvent>((resolve, reject) => {
      const check = () => {
        const found = events.slice(from).find(match);
        if (found) {
          done();
          resolve(found);
        } else if (ended) {
          done();
          reject(new Error("the stream ended"));
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
  return { status: res.status, events, waitFor, close: () => abort.abort() };
}
