/**
 * The embedded broker for a first run: aedes in-process on 127.0.0.1:1883, so `make run` shows
 * telemetry with nothing else installed. aedes 1.2 speaks MQTT 3.1.1 only; the publisher falls
 * back to 3.1.1 when it meets it.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:net";
import { Aedes } from "aedes";
import { readSecretLine } from "../secrets.js";

export class PortInUseError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(`${host}:${port} is already in use`);
    this.name = "PortInUseError";
  }
}

export interface EmbeddedBroker {
  url: string;
  close(): Promise<void>;
}

/** A login the embedded broker requires (beyond 127.0.0.1). */
export interface BrokerLogin {
  username: string;
  password: string;
}

export async function startEmbeddedBroker(
  host: string,
  port: number,
  login?: BrokerLogin,
): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker(
    login
      ? {
          authenticate: (_client, username, password, done) => {
            const ok =
              username === login.username &&
              password !== undefined &&
              timingSafeEqual(
                createHash("sha256").update(password).digest(),
                createHash("sha256").update(login.password).digest(),
              );
            done(null, ok);
          },
        }
      : {},
  );
  // No Nagle delay on small packets (see sendImmediately in ./publisher.ts).
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    broker.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      broker.close();
      reject(err.code === "EADDRINUSE" ? new PortInUseError(host, port) : err);
    });
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const boundPort = typeof address === "object" && address ? address.port : port;
  return {
    url: `mqtt://${host}:${boundPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        broker.close();
        // Connected clients keep the server open; aedes closing them lets server.close finish.
        setTimeout(resolve, 1000).unref();
      }),
  };
}

/** The embedded broker as the first service: it listens before anything connects, and closes last. */
export class EmbeddedBrokerService {
  readonly name = "embedded broker";
  private broker: EmbeddedBroker | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly login?: () => BrokerLogin,
  ) {}

  /** Where it listens (known once started). */
  get url(): string {
    if (!this.broker) throw new Error("the embedded broker has not started");
    return this.broker.url;
  }

  async start(): Promise<void> {
    this.broker = await startEmbeddedBroker(this.host, this.port, this.login?.());
  }

  async stop(): Promise<void> {
    await this.broker?.close();
    this.broker = undefined;
  }
}

/** The embedded broker's login, when the bench file sets one (it must, beyond 127.0.0.1). */
export function embeddedLogin(embedded: {
  username?: string | undefined;
  passwordFile?: string | undefined;
}): (() => BrokerLogin) | undefined {
  const { username, passwordFile } = embedded;
  if (username === undefined || passwordFile === undefined) return undefined;
  return () => ({
    username,
    password: readSecretLine("mqtt.embedded.passwordFile", passwordFile),
  });
}
