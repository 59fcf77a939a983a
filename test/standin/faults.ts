/** Faults injected on demand, decided by a seeded RNG so that a failing test fails the same way twice. */

export interface FaultSpec {
  operationId?: string;
  method?: string;
  /** Matches the request pathname (API-relative, e.g. /repos/o/r/issues/1/comments). */
  path?: string | RegExp;
  /** A server or client error to answer with. */
  status?: 500 | 502 | 503 | 404 | 422;
  /** Answer with GitHub's secondary rate limit (403, `retry-after`) instead of `status`. */
  secondaryRateLimit?: { retryAfterSeconds: number };
  /** Answer with GitHub's primary rate limit (403, `x-ratelimit-remaining: 0`, reset after N seconds). */
  primaryRateLimit?: { resetAfterSeconds: number };
  /** How many times the fault fires (default: unlimited). */
  times?: number;
  /** Chance (0..1) that a matching request gets the fault (default 1). */
  probability?: number;
  /**
   * "before": the request has no effect (default). "after": the request takes effect, then the client
   * sees the failure — the case that makes a naive retry of a POST create a duplicate.
   */
  phase?: "before" | "after";
  /** For uploads: the failure leaves an empty, not-uploaded asset behind as GitHub's 502 does. */
  leaveEmptyAsset?: boolean;
}

export interface ActiveFault extends FaultSpec {
  fired: number;
}

export interface FaultRequest {
  operationId: string;
  method: string;
  pathname: string;
}

/** mulberry32: tiny, fast, good enough to make fault sequences reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  readonly active: ActiveFault[] = [];
  private random: () => number;

  constructor(seed = 1) {
    this.random = seededRandom(seed);
  }

  add(fault: FaultSpec): ActiveFault {
    if (fault.status === undefined && !fault.secondaryRateLimit && !fault.primaryRateLimit) {
      throw new Error("stand-in fault needs a status, secondaryRateLimit or primaryRateLimit");
    }
    const active = { ...fault, fired: 0 };
    this.active.push(active);
    return active;
  }

  clear(): void {
    this.active.length = 0;
  }

  reseed(seed: number): void {
    this.random = seededRandom(seed);
  }

  /** The fault this request gets, if any; counts it as fired. */
  pick(request: FaultRequest): ActiveFault | undefined {
    for (const fault of this.active) {
      if (fault.times !== undefined && fault.fired >= fault.times) continue;
      if (fault.operationId && fault.operationId !== request.operationId) continue;
      if (fault.method && fault.method.toUpperCase() !== request.method) continue;
      if (typeof fault.path === "string" && fault.path !== request.pathname) continue;
      if (fault.path instanceof RegExp && !fault.path.test(request.pathname)) continue;
      if (fault.probability !== undefined && this.random() >= fault.probability) continue;
      fault.fired++;
      return fault;
    }
    return undefined;
  }
}
