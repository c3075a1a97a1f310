/**
 * An interlock input on a GPIO line (door switch, cryostat-OK relay). `trippedWhen` is the level
 * that means unsafe; wiring the switch so that a broken wire reads as that level makes the
 * interlock fail safe (e.g. a door switch that closes to ground with a pull-up: open/broken → high).
 */
import type { BinaryValue, GpioLine, InterlockInput, SharedLine, TelemetryValues } from "../interfaces.js";

export class GpioInterlock implements InterlockInput {
  private readonly trippedLevel: BinaryValue;

  constructor(
    readonly name: string,
    private readonly line: GpioLine,
    trippedWhen: "high" | "low",
  ) {
    this.trippedLevel = trippedWhen === "high" ? 1 : 0;
  }

  async readTripped(): Promise<boolean> {
    return (await this.line.read()) === this.trippedLevel;
  }

  watch(listener: (tripped: boolean) => void): () => void {
    return this.line.watch((value) => listener(value === this.trippedLevel));
  }

  sharedLine(): { line: SharedLine; trippedLevel: BinaryValue } | undefined {
    const line = this.line.share?.();
    return line && { line, trippedLevel: this.trippedLevel };
  }

  async readTelemetry(): Promise<TelemetryValues> {
    return { tripped: await this.readTripped() };
  }
}
