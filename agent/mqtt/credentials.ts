/** The agent's MQTT login and TLS material, from the bench file and the files it names. */
import type { MqttConfig } from "../../config/schema.js";
import { readSecretFile, readSecretLine } from "../secrets.js";

/** The agent's login and TLS material: the embedded broker's own login when it has one. */
export function brokerCredentials(settings: MqttConfig) {
  const embedded = settings.broker === "embedded" ? settings.embedded : undefined;
  const username = embedded?.username ?? settings.username;
  const passwordFile = embedded?.passwordFile ?? settings.passwordFile;
  const password = passwordFile ? readSecretLine("mqtt password file", passwordFile) : settings.password;
  const t = settings.tls;
  const tls = t && {
    rejectUnauthorized: t.rejectUnauthorized,
    ...(t.caFile ? { ca: readSecretFile("mqtt.tls.caFile", t.caFile) } : {}),
    ...(t.certFile ? { cert: readSecretFile("mqtt.tls.certFile", t.certFile) } : {}),
    ...(t.keyFile ? { key: readSecretFile("mqtt.tls.keyFile", t.keyFile) } : {}),
  };
  return { username, password, tls };
}
