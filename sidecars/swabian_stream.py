#!/usr/bin/env python3
"""photon-bench sidecar: a Swabian Time Tagger's tags, streamed to the agent on stdout.

Swabian's Time Tagger has a Python API and no C API, so the agent runs this script (with the
Python that has the vendor's `TimeTagger` module) and reads its stdout:

  1. one handshake line, JSON: {"sidecar": "photon-bench-swabian", "protocol": 1,
     "timeTaggerVersion": ..., "serial": ..., "model": ...}
  2. frames, little-endian: b"PBTT", u32 n, u32 flags (bit 0: the tagger overflowed in this
     batch), u32 missed events, n x i64 time (ps, the tagger's clock), n x u8 channel.
     An empty frame at least every 100 ms: silence means the sidecar is stuck.

Settings come as one JSON argument: {"serial": "", "channels": [1, 2], "triggerLevelsV": {"1": 0.5},
"delaysPs": {"2": 1200}, "eventDividers": {"3": 1000}, "bufferEvents": 1000000, "pollMs": 10}.
Errors go to stderr (the agent logs them) with a non-zero exit; the agent restarts the sidecar.
It stops when stdin closes or on SIGTERM.
"""
import json
import os
import select
import signal
import struct
import sys
import time
from array import array

PROTOCOL = 1


def raw(values, code, numpy_type):
    """A buffer's values as little-endian bytes (numpy arrays from the real API, lists from others)."""
    if hasattr(values, "astype"):
        return values.astype(numpy_type).tobytes()
    out = array(code, values)
    if sys.byteorder != "little":
        out.byteswap()
    return out.tobytes()


def tags_only(data, times, chans):
    """Drops the buffer's non-tag entries (overflow begin/end, missed-event records: type != 0)."""
    if not hasattr(data, "getEventTypes"):
        return times, chans
    types = data.getEventTypes()
    if hasattr(types, "astype"):
        keep = types == 0
        return times[keep], chans[keep]
    keep = [i for i, t in enumerate(types) if t == 0]
    return [times[i] for i in keep], [chans[i] for i in keep]


def main():
    settings = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    import TimeTagger  # the vendor's module (or the tests' fake), on PYTHONPATH

    tagger = TimeTagger.createTimeTagger(settings.get("serial", ""))
    channels = [int(c) for c in settings.get("channels", [])]
    for ch, level in settings.get("triggerLevelsV", {}).items():
        tagger.setTriggerLevel(int(ch), float(level))
    for ch, delay in settings.get("delaysPs", {}).items():
        tagger.setInputDelay(int(ch), int(delay))
    for ch, divider in settings.get("eventDividers", {}).items():
        tagger.setEventDivider(int(ch), int(divider))
    stream = TimeTagger.TimeTagStream(tagger, int(settings.get("bufferEvents", 1000000)), channels)
    out = sys.stdout.buffer
    hello = {
        "sidecar": "photon-bench-swabian",
        "protocol": PROTOCOL,
        "timeTaggerVersion": str(TimeTagger.getVersion()),
        "serial": str(tagger.getSerial()),
        "model": str(tagger.getModel()),
    }
    out.write((json.dumps(hello) + "\n").encode())
    out.flush()
    stream.start()
    poll_s = float(settings.get("pollMs", 10)) / 1000
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        while not stopping:
            ready, _, _ = select.select([sys.stdin], [], [], poll_s)
            if ready and not os.read(sys.stdin.fileno(), 4096):
                break  # the agent went away
            data = stream.getData()
            times, chans = tags_only(data, data.getTimestamps(), data.getChannels())
            missed = data.getMissedEvents() if hasattr(data, "getMissedEvents") else []
            flags = 1 if data.hasOverflows else 0
            n = len(times)
            out.write(b"PBTT" + struct.pack("<III", n, flags, int(sum(missed))))
            if n:
                out.write(raw(times, "q", "<i8"))
                out.write(raw(chans, "B", "u1"))
            out.flush()
    finally:
        stream.stop()
        TimeTagger.freeTimeTagger(tagger)


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        sys.exit(0)
    except Exception as err:  # noqa: BLE001 — every failure is the agent's to see
        print(f"swabian sidecar: {type(err).__name__}: {err}", file=sys.stderr, flush=True)
        sys.exit(2)
