/**
 * The Sparkplug B edge node (`sparkplug:` in the bench file; agent/sparkplug/). Off by default. It
 * connects to the agent's broker with the agent's login, on a connection of its own (the NDEATH
 * is that connection's will), and reports by exception: a number goes out when it moved by more
 * than its deadband since it last went out.
 */
import { z } from "zod";
import { topicSafeName } from "./common.js";

/** The agent's own Sparkplug devices (beside one per bench device): no bench device may take these names. */
export const SPARKPLUG_AGENT_DEVICES = ["measurements", "aligner", "alarms", "agent", "interlocks"] as const;

export const sparkplugSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** The Sparkplug group: a lab, a building. */
    groupId: topicSafeName.default("photon-bench"),
    /** The edge node's id within the group (default: the benchId). */
    edgeNodeId: topicSafeName.optional(),
    /**
     * The primary host application's id (e.g. Ignition's): births wait for its STATE to say
     * online, and while it is offline data are held in the state directory and sent, marked
     * historical, when it returns. Unset: publish whenever connected.
     */
    primaryHostId: topicSafeName.optional(),
    /**
     * Absolute deadbands, by metric name (`sampleTempK`) or device and metric
     * (`cryostat/sampleTempK`); the second wins.
     */
    deadbands: z.record(z.string().min(1), z.number().finite().min(0)).default({}),
    /** Every other number: a change of this percentage of its last published value. */
    defaultDeadbandPercent: z.number().finite().min(0).max(100).default(0.5),
    /** Held data beyond this many bytes are thinned, oldest first (as the outbox does). */
    holdMaxBytes: z
      .int()
      .min(65_536)
      .default(16 * 1024 * 1024),
  })
  .prefault({});

export type SparkplugConfig = z.infer<typeof sparkplugSchema>;
