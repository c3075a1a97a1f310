/**
 * The topic tree, in one place:
 *
 *   <base>/<benchId>/status                 retained {state: "online"|"offline", …}; offline is the will
 *   <base>/<benchId>/telemetry/<device>     per device, every telemetry period
 *   <base>/<benchId>/alarm/<name>           retained, on every change of an alarm
 *   <base>/<benchId>/measurement/<name>     retained, per integration period: `rates` and one per histogram
 *   <base>/<benchId>/alignment              retained: the aligner's state, every publishEveryS and on each change of mode
 *   <base>/<benchId>/config                 retained: version, hash and the effective config, secrets redacted
 *   <base>/<benchId>/request/<verb>         operators' requests (the agent subscribes to request/#)
 *   <base>/<benchId>/response/<verb>        the answer to each request, with its transaction id
 *   <base>/<benchId>/event/audit            every request and its outcome
 *   <base>/<benchId>/incident/<id>          retained while open (and keepResolvedS after): symptoms, cause, timeline, runbooks
 *   <base>/<benchId>/event/notification     every page, ticket and resolution
 *   <base>/<benchId>/sli/<name>             retained: availability (with SLOs, budgets, burn rates), quality, background, coupling, mttr
 *   <base>/<benchId>/run                    retained: the run in progress (or the last one, stopped)
 *   <base>/<benchId>/gameday                retained: the last game day's score
 */

export class Topics {
  readonly root: string;

  constructor(baseTopic: string, benchId: string) {
    this.root = `${baseTopic.replace(/\/+$/, "")}/${benchId}`;
  }

  status(): string {
    return `${this.root}/status`;
  }

  telemetry(device: string): string {
    return `${this.root}/telemetry/${device}`;
  }

  alarm(name: string): string {
    return `${this.root}/alarm/${name}`;
  }

  alignment(): string {
    return `${this.root}/alignment`;
  }

  measurement(name: string): string {
    return `${this.root}/measurement/${name}`;
  }

  config(): string {
    return `${this.root}/config`;
  }

  incident(id: string): string {
    return `${this.root}/incident/${id}`;
  }

  sli(name: string): string {
    return `${this.root}/sli/${name}`;
  }

  run(): string {
    return `${this.root}/run`;
  }

  gameday(): string {
    return `${this.root}/gameday`;
  }

  event(kind: string): string {
    return `${this.root}/event/${kind}`;
  }

  /** `request/<verb>`; without a verb, the filter for every request. */
  request(verb?: string): string {
    return `${this.root}/request/${verb ?? "#"}`;
  }

  response(verb: string): string {
    return `${this.root}/response/${verb}`;
  }
}
