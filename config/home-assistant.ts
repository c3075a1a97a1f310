/** Home Assistant MQTT discovery (agent/services/home-assistant.ts). Off by default. */
import { z } from "zod";

export const homeAssistantSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** Home Assistant's discovery prefix (its MQTT integration's setting). */
    discoveryPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, "letters, digits, _ or -")
      .default("homeassistant"),
  })
  .prefault({});

export type HomeAssistantConfig = z.infer<typeof homeAssistantSchema>;
