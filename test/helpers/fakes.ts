/** HAL test doubles built from sinon stubs: a serial link that answers from a table, a GPIO line. */
import sinon from "sinon";
import type { BinaryValue, GpioLine, ReplyReader, SerialLink } from "../../hal/interfaces.js";

export type Replies = Record<string, string | Error | undefined>;

/**
 * A SerialLink whose `query`/`request` answer from `replies` (keyed by the line sent, without
 * terminator). A missing key rejects, so a test notices commands it did not expect.
 */
export function scriptedLink(replies: Replies) {
  const sent: string[] = [];
  const answer = (line: string): string => {
    sent.push(line);
    if (!(line in replies)) throw new Error(`unexpected command ${JSON.stringify(line)}`);
    const reply = replies[line];
    if (reply instanceof Error) throw reply;
    return reply ?? "";
  };
  const link = {
    path: "/dev/fake",
    closed: false,
    strayBytes: 0,
    query: sinon.stub<[string], Promise<string>>().callsFake(async (line) => answer(line)),
    send: sinon.stub().callsFake(async (line: string) => void answer(line)),
    request: sinon.stub().callsFake(async <T>(data: string | Uint8Array, reader: ReplyReader<T>) => {
      const line = (typeof data === "string" ? data : Buffer.from(data).toString("latin1")).replace(
        /\r?\n$/,
        "",
      );
      const bytes = new TextEncoder().encode(`${answer(line)}\r\n`);
      const result = reader(bytes);
      if (!result) throw new Error(`reply to ${line} incomplete for the reader`);
      return result.value;
    }),
    write: sinon.stub().resolves(),
    onData: sinon.stub().returns(() => {}),
    close: sinon.stub().resolves(),
  };
  return { link: link as unknown as SerialLink & typeof link, sent };
}

export function fakeGpio(direction: "in" | "out", initial: BinaryValue = 0) {
  let value = initial;
  const listeners = new Set<(v: BinaryValue) => void>();
  const line = {
    line: 17,
    direction,
    read: sinon.stub().callsFake(async () => value),
    write: sinon.stub().callsFake(async (v: BinaryValue) => {
      value = v;
    }),
    watch: sinon.stub().callsFake((l: (v: BinaryValue) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    }),
    close: sinon.stub().resolves(),
  };
  return {
    line: line as unknown as GpioLine & typeof line,
    /** Sets an input's level and fires its edge listeners. */
    set(v: BinaryValue) {
      value = v;
      for (const l of listeners) l(v);
    },
    get value() {
      return value;
    },
  };
}
