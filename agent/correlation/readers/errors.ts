/**
 * A time-tag file that cannot be read, or that contradicts itself. `contradiction` errors may be
 * overridden with --force (the analysis then carries the message in its `warnings`); the others
 * (not the format, truncated header, unknown record type) cannot.
 */
export class TimeTagFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
    /** True when the file is readable but disagrees with itself (header versus data). */
    readonly contradiction = false,
  ) {
    super(`${file}: ${message}`);
    this.name = "TimeTagFileError";
  }
}

/** A record the decoder cannot make sense of; the file reader names the file and turns it into a TimeTagFileError. */
export class RecordError extends Error {}
