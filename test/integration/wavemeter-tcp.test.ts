/**
 * The SCPI wavemeter over TCP (as a Bristol on the lab network is reached): the real TCP link to the
 * sim's SCPI twin on a loopback socket — wavelength, frequency, drift from the reference — and the
 * replies that are not a reading: garbage, and "no signal" (0).
 */
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTcpLink } from "../../hal/backends/tcp-link.js";
import { ScpiWavemeter } from "../../hal/devices/scpi-wavemeter.js";
import type { SerialLink } from "../../hal/interfaces.js";
import type { SimBench } from "../../sim/bench.js";
import { type ServedTcp, serveTcp } from "../../sim/tcp-server.js";
import { ScpiWavemeterTwin } from "../../sim/twins/scpi-wavemeter.js";

describe("scpi-wavemeter over TCP", () => {
  const line = { wavelengthNm: 930.123456 };
  let served: ServedTcp;
  let link: SerialLink;
  let garbage: string | undefined;

  beforeAll(async () => {
    const twin = new ScpiWavemeterTwin({ spectralLine: line } as unknown as SimBench);
    served = await serveTcp(
      { handle: (l) => (garbage !== undefined && l.startsWith(":MEAS") ? garbage : twin.handle(l)) },
      { replyTerminator: "\r\n" },
    );
    link = await openTcpLink(
      "wavemeter",
      { host: "127.0.0.1", port: served.port, timeoutMs: 500, terminator: "\n" },
      pino({ level: "silent" }),
    );
  });
  afterAll(async () => {
    await link.close();
    await served.close();
  });

  it("reads the wavelength, the frequency, and the drift from the reference", async () => {
    const wm = new ScpiWavemeter("wavemeter", link, 930.12);
    expect(await wm.identify()).toContain("671A");
    expect(await wm.readTelemetry()).toEqual({
      wavelengthNm: 930.123456,
      frequencyGHz: 322314.695,
      driftPm: 3.456,
    });
    expect(served.received).toContain(":MEAS:WAV?");
  });

  it("a reply that is not a wavelength, or no signal, is a clear error", async () => {
    const wm = new ScpiWavemeter("wavemeter", link);
    garbage = "ERR";
    await expect(wm.readTelemetry()).rejects.toThrow(":MEAS:WAV? answered ERR, not a wavelength");
    garbage = "0.000000";
    await expect(wm.readTelemetry()).rejects.toThrow("no signal on the wavemeter");
    garbage = undefined;
    expect((await wm.readTelemetry()).driftPm).toBe(0); // the first good reading is the reference
  });
});
