/**
 * Units from names: every number the agent publishes carries its unit at the end of its name
 * (`sampleTempK`, `powerMw`, `positionUm/x` — a folder's name counts for what is inside). One
 * table gives each unit as written for people (Sparkplug's engUnit) and the resolution a published
 * reading is rounded to: about the finest step of the instruments that measure it on a bench
 * (Lake Shore 336: 0.1 mK; ADS1115-read power: 1 nW; piezo DACs: 1 nm; …). A number with no unit
 * keeps six significant digits; an integer stays as it is.
 */

interface Unit {
  suffix: string;
  unit: string;
  /** Decimal places kept when published. */
  decimals: number;
}

/** Longest suffixes first where one ends another (`MHz` before `Hz`, `TempC` before others). */
const UNITS: readonly Unit[] = [
  { suffix: "MHz", unit: "MHz", decimals: 3 },
  { suffix: "GHz", unit: "GHz", decimals: 6 },
  { suffix: "Hz", unit: "Hz", decimals: 3 },
  { suffix: "Psig", unit: "psig", decimals: 1 },
  { suffix: "Percent", unit: "%", decimals: 2 },
  { suffix: "Cps", unit: "cps", decimals: 1 },
  { suffix: "Mw", unit: "mW", decimals: 6 },
  { suffix: "Um", unit: "µm", decimals: 3 },
  { suffix: "Ua", unit: "µA", decimals: 3 },
  { suffix: "Mv", unit: "mV", decimals: 3 },
  { suffix: "Ms", unit: "ms", decimals: 2 },
  { suffix: "Ps", unit: "ps", decimals: 1 },
  { suffix: "Ns", unit: "ns", decimals: 4 },
  { suffix: "Nm", unit: "nm", decimals: 6 },
  { suffix: "Pm", unit: "pm", decimals: 3 },
  { suffix: "Bytes", unit: "B", decimals: 0 },
  { suffix: "TempC", unit: "°C", decimals: 2 },
  { suffix: "K", unit: "K", decimals: 4 },
  { suffix: "S", unit: "s", decimals: 3 },
  { suffix: "V", unit: "V", decimals: 4 },
];

function unitOfSegment(segment: string): Unit | undefined {
  for (const u of UNITS)
    if (
      segment.length > u.suffix.length &&
      segment.endsWith(u.suffix) &&
      /[A-Za-z0-9]/.test(segment.at(-u.suffix.length - 1)!)
    )
      return u;
  return undefined;
}

function unitEntry(name: string): Unit | undefined {
  const segments = name.split("/");
  for (let i = segments.length - 1; i >= 0; i--) {
    const unit = unitOfSegment(segments[i]!);
    if (unit) return unit;
  }
  return undefined;
}

/** The unit in a name (`sampleTempK` → K), or undefined for a count or a ratio. */
export function unitOf(name: string): string | undefined {
  return unitEntry(name)?.unit;
}

/** A reading rounded to its unit's resolution (no unit: six significant digits; integers as they are). */
export function roundReading(name: string, value: number): number {
  if (!Number.isFinite(value) || Number.isInteger(value)) return value;
  const unit = unitEntry(name);
  return unit ? Number(value.toFixed(unit.decimals)) : Number(value.toPrecision(6));
}

/** Every number in an object (nested objects too; arrays untouched) rounded by its name. */
export function roundReadings<T>(body: T, prefix = ""): T {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const name = prefix ? `${prefix}/${key}` : key;
    out[key] = typeof value === "number" ? roundReading(name, value) : roundReadings(value, name);
  }
  return out as T;
}
