/** The web view's stream (`/events`) as a page would open it, with a wait for a matching event. */
import { readEvents } from "../../bench/lib/net.js";
import { MessageLog } from "./message-log.js";

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

export async function openStream(url: string, headers: Record<string, string> = {}) {
  const log = new MessageLog<SseEvent>(url);
  const { status, close } = await readEvents(url, (event, data) => log.push({ event, data }), { headers });
  return { status, events: log.messages, waitFor: log.waitFor.bind(log), close };
}
