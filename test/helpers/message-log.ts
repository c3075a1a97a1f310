/** Received messages in arrival order, and a wait for the first (from an index on) that matches. */
export class MessageLog<T> {
  readonly messages: T[] = [];
  private readonly waiters = new Set<() => void>();

  /** `what` names the subscription in a timeout's error. */
  constructor(private readonly what: string) {}

  push(message: T): void {
    this.messages.push(message);
    for (const w of this.waiters) w();
  }

  waitFor(match: (m: T) => boolean, timeoutMs = 10_000, from = 0): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.slice(from).find(match);
        if (!found) return false;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `no matching message on ${this.what} within ${timeoutMs} ms (got ${this.messages.length})`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}
