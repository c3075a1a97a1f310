/**
 * The alarms active now, learnt from the bus, and their acknowledgements: `alarm/ack` marks an
 * active alarm acknowledged (who, when) and publishes it again, still active — acknowledging
 * says a person has seen it, it does not clear it. A new activation needs a new acknowledgement.
 */
import type { AlarmPayload, EventBus } from "../events.js";
import type { AlarmControl } from "./context.js";

export class AlarmBook implements AlarmControl {
  private readonly alarms = new Map<string, AlarmPayload>();
  private readonly off: () => void;

  constructor(private readonly bus: EventBus) {
    this.off = bus.on("alarm", (alarm) => {
      if (alarm.active) this.alarms.set(alarm.name, alarm);
      else this.alarms.delete(alarm.name);
    });
  }

  active(): AlarmPayload[] {
    return [...this.alarms.values()];
  }

  acknowledge(name: string, by: string): AlarmPayload | undefined {
    const alarm = this.alarms.get(name);
    if (!alarm) return undefined;
    const acknowledged: AlarmPayload = { ...alarm, acknowledged: { by, ts: new Date().toISOString() } };
    this.bus.emit("alarm", acknowledged);
    return acknowledged;
  }

  close(): void {
    this.off();
  }
}
