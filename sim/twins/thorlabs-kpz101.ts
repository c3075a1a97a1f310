/**
 * A Thorlabs KPZ101 K-Cube as its USB serial port shows it: APT binary messages (6-byte header,
 * data when dest has bit 7 set, little-endian), answering HW_REQ_INFO, the channel enable state,
 * the TPZ I/O settings (the output limit: 1 = 75 V, 2 = 100 V, 3 = 150 V) and the output voltage
 * (0…32767 of the limit). Written from the protocol facts, not from the driver's codec, so the
 * tests compare two readings of the same document. Messages it does not know get HW_RICHRESPONSE.
 */
import type { LineInstrument } from "../serial-twin.js";

const latin1 = (bytes: number[] | Buffer) => Buffer.from(bytes).toString("latin1");

export class ThorlabsKpz101Twin implements LineInstrument {
  enabled = false;
  openLoop = false;
  limitCode = 1; // 75 V out of the box
  hubInput = 1;
  outputCounts = 0;
  /** Every message id received, in order (for tests). */
  readonly received: number[] = [];

  constructor(
    readonly serialNumber = 29_250_001,
    private readonly onOutput: (volts: number) => void = () => {},
  ) {}

  get limitV(): number {
    return [0, 75, 100, 150][this.limitCode] ?? 0;
  }

  get outputV(): number {
    return (this.outputCounts / 32767) * this.limitV;
  }

  frame(inbox: string): number | undefined {
    if (inbox.length < 6) return undefined;
    const long = (inbox.charCodeAt(4) & 0x80) !== 0;
    const length = 6 + (long ? inbox.charCodeAt(2) | (inbox.charCodeAt(3) << 8) : 0);
    return inbox.length < length ? undefined : length;
  }

  handle(message: string): string | undefined {
    const b = Buffer.from(message, "latin1");
    const id = b.readUInt16LE(0);
    const data = b.subarray(6);
    this.received.push(id);
    const reply = (replyId: number, body: Buffer) => {
      const header = Buffer.from([
        replyId & 0xff,
        replyId >> 8,
        body.length & 0xff,
        body.length >> 8,
        0x81,
        0x50,
      ]);
      return latin1(Buffer.concat([header, body]));
    };
    const short = (replyId: number, p1: number, p2: number) =>
      latin1([replyId & 0xff, replyId >> 8, p1, p2, 0x01, 0x50]);
    switch (id) {
      case 0x0005: {
        const info = Buffer.alloc(84);
        info.writeUInt32LE(this.serialNumber, 0);
        info.write("KPZ101", 4, "latin1");
        info.writeUInt16LE(16, 12); // type
        info.set([4, 0, 1, 0], 14); // firmware 1.0.4
        info.writeUInt16LE(1, 82); // channels
        return reply(0x0006, info);
      }
      case 0x0210:
        this.enabled = b[3] === 0x01;
        return undefined;
      case 0x0211:
        return short(0x0212, b[2]!, this.enabled ? 0x01 : 0x02);
      case 0x0640:
        this.openLoop = b[3] === 0x01 || b[3] === 0x03;
        return undefined;
      case 0x07d4:
        this.limitCode = data.readUInt16LE(2);
        this.hubInput = data.readUInt16LE(4);
        return undefined;
      case 0x07d5: {
        const io = Buffer.alloc(10);
        io.writeUInt16LE(1, 0);
        io.writeUInt16LE(this.limitCode, 2);
        io.writeUInt16LE(this.hubInput, 4);
        return reply(0x07d6, io);
      }
      case 0x0643:
        // A disabled output does not move (what the real unit answers is not confirmed).
        if (this.enabled) {
          this.outputCounts = Math.max(0, Math.min(32767, data.readInt16LE(2)));
          this.onOutput(this.outputV);
        }
        return undefined;
      case 0x0644: {
        const volts = Buffer.alloc(4);
        volts.writeUInt16LE(1, 0);
        volts.writeInt16LE(this.outputCounts, 2);
        return reply(0x0645, volts);
      }
      default: {
        const rich = Buffer.alloc(68);
        rich.writeUInt16LE(id, 0);
        rich.writeUInt16LE(10_000, 2);
        rich.write("unknown message", 4, "latin1");
        return reply(0x0081, rich);
      }
    }
  }
}
