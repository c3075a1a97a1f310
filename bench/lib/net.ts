/** Loopback helpers for the benchmarks (and the web view's tests): a free port, a Server-Sent Events reader. */
import { createServer } from "node:net";

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * Opens `url` as an event stream and calls `onEvent` with each event's name and parsed data, in
 * order, as a browser's EventSource would. Resolves, once the response has arrived, with its
 * status and a function that closes the stream.
 */
export async function readEvents(
  url: string,
  onEvent: (event: string, data: Record<string, unknown>) => void,
  options: { headers?: Record<string, string> } = {},
): Promise<{ status: number; close: () => void }> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: options.headers ?? {}, signal: abort.signal });
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
            end = buffered.indexOf("\n\n");
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event && data) onEvent(event, JSON.parse(data) as Record<string, unknown>);
          }
        }
      } catch {
        // closed
      }
    })();
  return { status: res.status, close: () => abort.abort() };
}
