/**
 * The operator's view of `oracle run` (docs/oracle.md, "Monitoring the oracle"): Prometheus metrics (prom-client)
 * on `--metrics-host:--metrics-port` at `/metrics`, and `/healthz` (200 when a round succeeded within
 * `--health-intervals` intervals, else 503; a JSON body either way).
 *
 * Where the figures come from, so that the daemon's code barely changes:
 *  - postings, settlements, signatures and refusals by agreement: the daemon's own log lines (`posted`,
 *    `settled`, `signed`, `refused`: documented actions, logged once per event) seen through `tap(logger)`;
 *    the gas of the last posting (`gasPerCall` of `posted`) too;
 *  - rounds, the last good round and the milestones due: the daemon calls the `DaemonObserver` methods;
 *  - the age of the transaction in flight: the sender's `pendingSince()`, read at each scrape;
 *  - RPC errors by URL and the URL in use: the FailoverProvider's listener;
 *  - the relayer's balance and the fee per gas: read after each good round, unless the daemon reported them in the
 *    round (`DaemonObserver.relayerBalance`); `setRelayerBalance` and `setGasPrice` are public too.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Provider } from "ethers";
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { UserError } from "../lib/errors";
import type { OracleArgs } from "./commands";
import { type Level, type LogFields, Logger } from "./log";
import type { FailoverProvider } from "./rpc";

/** Gas of one posting until the daemon has posted one (a 2-of-3 postAttestation in a multicall, rounded up). */
export const DEFAULT_POSTING_GAS = 100_000;
/** `/healthz` is 200 while the last good round is at most this many `--interval`s old. */
export const DEFAULT_HEALTH_INTERVALS = 3;
export const DEFAULT_METRICS_HOST = "127.0.0.1";

/** What the daemon tells its observer (daemon.ts calls these). */
export interface DaemonObserver {
  /** A round starts; `now` is the chain time it acts on (unix seconds). */
  roundStart(now: number): void;
  /** In this round, milestone `milestone` of agreement `id` is due and not posted; its window closes at `until`. */
  due(id: string, milestone: number, until: number): void;
  /** The round ended without error. */
  roundDone(): Promise<void>;
  /** The round failed with `error` (it is retried). */
  roundFailed(error: string): void;
  /**
   * The daemon read the relayer's balance (and the fee per gas) itself this round: the gauges take these values
   * and the monitor does not read them again after the round.
   */
  relayerBalance?(wei: bigint, feePerGas?: bigint): void;
}

export interface MonitorOptions {
  host: string;
  port: number;
  intervalMs: number;
  healthIntervals: number;
  /** The wall clock in ms (tests). */
  clock?: () => number;
}

export interface Health {
  status: 200 | 503;
  body: {
    ok: boolean;
    reason: string;
    lastGoodRound: string | null;
    secondsSinceGoodRound: number | null;
    maxSeconds: number;
    rounds: { ok: number; failed: number; failedInARow: number };
    lastError?: string;
    rpc?: string;
    pendingTxAgeSeconds: number;
  };
}

/** A logger that also hands every entry to `tap` (errors in the tap never reach the daemon). */
class TappedLogger extends Logger {
  constructor(
    private readonly inner: Logger,
    private readonly tap: (level: Level, fields: LogFields) => void,
  ) {
    super(() => undefined);
  }
  override log(level: Level, fields: LogFields): void {
    this.inner.log(level, fields);
    try {
      this.tap(level, fields);
    } catch {
      // metrics are best effort
    }
  }
}

type Deadlines = Map<string, { agreement: string; milestone: number; until: number }>;

export class OracleMonitor implements DaemonObserver {
  readonly registry = new Registry();
  private readonly clock: () => number;
  readonly postings: Counter<"agreement">;
  readonly settlements: Counter<"agreement">;
  readonly signatures: Counter<"agreement">;
  readonly refusals: Counter<"agreement">;
  readonly rounds: Counter<"result">;
  readonly lastGoodRound: Gauge;
  readonly pendingTxAge: Gauge;
  readonly rpcErrors: Counter<"url">;
  readonly rpcInUse: Gauge<"url">;
  readonly relayerBalanceWei: Gauge;
  readonly gasPriceWei: Gauge;
  readonly postingGas: Gauge;
  readonly attestDeadline: Gauge<"agreement" | "milestone">;
  readonly info: Gauge<"network" | "chain_id" | "escrow" | "oracle" | "relayer">;

  private lastGoodMs: number | undefined;
  private lastError: string | undefined;
  private okRounds = 0;
  private failedRounds = 0;
  private failedInARow = 0;
  /** Due, unposted milestones of the last good round, and those the current round is collecting. */
  private deadlines: Deadlines = new Map();
  private collecting: Deadlines | undefined;
  /** Chain time minus wall time (s) at the start of the round that produced `deadlines`. */
  private offset = 0;
  private nextOffset = 0;
  private pendingSince: () => number | undefined = () => undefined;
  private chain: { provider: Provider; relayer: string } | undefined;
  private rpc: FailoverProvider | undefined;
  private readErrorLogged = "";
  /** The daemon reported the balance in this round (relayerBalance): no read of our own after it. */
  private balanceReported = false;
  private log: Logger | undefined;

  constructor(readonly opts: MonitorOptions) {
    this.clock = opts.clock ?? Date.now;
    const registers = [this.registry];
    const byAgreement = (name: string, help: string) =>
      new Counter({ name, help, labelNames: ["agreement"] as const, registers });
    this.postings = byAgreement("sla_oracle_postings_total", "Milestone attestations this oracle posted (mined).");
    this.settlements = byAgreement("sla_oracle_settlements_total", "Milestones this oracle settled (mined).");
    this.signatures = byAgreement("sla_oracle_signatures_total", "Attestation signatures this oracle wrote.");
    this.refusals = byAgreement(
      "sla_oracle_refusals_total",
      "Refusals: a report not co-signed, a source refusing a period (each milestone and reason once).",
    );
    this.rounds = new Counter({
      name: "sla_oracle_rounds_total",
      help: "Daemon rounds, by result (ok, error).",
      labelNames: ["result"] as const,
      registers,
    });
    this.rounds.inc({ result: "ok" }, 0);
    this.rounds.inc({ result: "error" }, 0);
    this.lastGoodRound = new Gauge({
      name: "sla_oracle_last_good_round_timestamp_seconds",
      help: "Unix time at which the last round without error ended (0: none yet).",
      registers,
    });
    this.pendingTxAge = new Gauge({
      name: "sla_oracle_pending_tx_age_seconds",
      help: "Seconds since the transaction in flight (sent, not yet mined) was recorded; 0 when none.",
      registers,
      collect: () => {
        const since = this.pendingSince();
        this.pendingTxAge.set(since === undefined ? 0 : Math.max(0, (this.clock() - since) / 1000));
      },
    });
    this.rpcErrors = new Counter({
      name: "sla_oracle_rpc_errors_total",
      help: "Failed RPC requests (transport errors, timeouts, HTTP 5xx...), by URL (redacted).",
      labelNames: ["url"] as const,
      registers,
    });
    this.rpcInUse = new Gauge({
      name: "sla_oracle_rpc_in_use",
      help: "1 for the RPC URL (redacted) the daemon sends to, 0 for the others.",
      labelNames: ["url"] as const,
      registers,
    });
    this.relayerBalanceWei = new Gauge({
      name: "sla_oracle_relayer_balance_wei",
      help: "The relayer's balance in wei (divide by 1e18 for ETH), read after each good round.",
      registers,
    });
    this.gasPriceWei = new Gauge({
      name: "sla_oracle_gas_price_wei",
      help: "The fee per gas a transaction would offer now (maxFeePerGas, else gasPrice), in wei.",
      registers,
    });
    this.postingGas = new Gauge({
      name: "sla_oracle_posting_gas",
      help: `Gas of one posting: the last one this oracle posted (${DEFAULT_POSTING_GAS} until then).`,
      registers,
    });
    this.postingGas.set(DEFAULT_POSTING_GAS);
    this.attestDeadline = new Gauge({
      name: "sla_oracle_milestone_attest_deadline_seconds",
      help: "Seconds until the attestation window (dueAt + attestGrace) of a due milestone not yet posted closes.",
      labelNames: ["agreement", "milestone"] as const,
      registers,
      collect: () => {
        this.attestDeadline.reset();
        const chainNow = this.clock() / 1000 + this.offset;
        for (const d of this.deadlines.values())
          this.attestDeadline.set({ agreement: d.agreement, milestone: String(d.milestone) }, d.until - chainNow);
      },
    });
    this.info = new Gauge({
      name: "sla_oracle_info",
      help: "1, labelled with the daemon's network, chain id, escrow, oracle and relayer.",
      labelNames: ["network", "chain_id", "escrow", "oracle", "relayer"] as const,
      registers,
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Connects the monitor to the running daemon's parts. */
  attach(parts: {
    provider: Provider;
    relayer: string;
    pendingSince: () => number | undefined;
    rpc?: FailoverProvider;
    info: { network: string; chainId: bigint; escrow: string; oracle: string };
  }): void {
    this.chain = { provider: parts.provider, relayer: parts.relayer };
    this.pendingSince = parts.pendingSince;
    this.info.set(
      {
        network: parts.info.network,
        chain_id: parts.info.chainId.toString(),
        escrow: parts.info.escrow,
        oracle: parts.info.oracle,
        relayer: parts.relayer,
      },
      1,
    );
    this.rpc = parts.rpc;
    if (parts.rpc) {
      const rpc = parts.rpc;
      for (const e of rpc.endpoints) {
        this.rpcErrors.inc({ url: e.label }, e.errors);
        this.rpcInUse.set({ url: e.label }, e.label === rpc.current ? 1 : 0);
      }
      rpc.watch({
        error: (url) => this.rpcErrors.inc({ url }),
        using: (url) => {
          for (const e of rpc.endpoints) this.rpcInUse.set({ url: e.label }, e.label === url ? 1 : 0);
        },
      });
    }
  }

  /** `logger`, also counting the daemon's postings, settlements, signatures and refusals. */
  tap(logger: Logger): Logger {
    this.log = logger;
    return new TappedLogger(logger, (level, fields) => this.observeLog(level, fields));
  }

  observeLog(_level: Level, f: LogFields): void {
    if (f.agreement === undefined) return;
    const agreement = f.agreement.toString();
    switch (f.action) {
      case "posted": {
        this.postings.inc({ agreement });
        const gas = Number(f.gasPerCall);
        if (Number.isFinite(gas) && gas > 0) this.postingGas.set(gas);
        // Posted: no longer a deadline to watch (the next round would drop it too).
        const key = `${agreement}:${f.milestone}`;
        this.deadlines.delete(key);
        this.collecting?.delete(key);
        break;
      }
      case "settled":
        this.settlements.inc({ agreement });
        break;
      case "signed":
        this.signatures.inc({ agreement });
        break;
      case "refused":
        this.refusals.inc({ agreement });
        break;
    }
  }

  setRelayerBalance(wei: bigint): void {
    this.relayerBalanceWei.set(Number(wei));
  }

  setGasPrice(wei: bigint): void {
    this.gasPriceWei.set(Number(wei));
  }

  relayerBalance(wei: bigint, feePerGas?: bigint): void {
    this.setRelayerBalance(wei);
    if (feePerGas !== undefined) this.setGasPrice(feePerGas);
    this.balanceReported = true;
  }

  roundStart(now: number): void {
    this.balanceReported = false;
    this.collecting = new Map();
    this.nextOffset = now - this.clock() / 1000;
  }

  due(id: string, milestone: number, until: number): void {
    (this.collecting ?? this.deadlines).set(`${id}:${milestone}`, { agreement: id, milestone, until });
  }

  async roundDone(): Promise<void> {
    if (this.collecting) {
      this.deadlines = this.collecting;
      this.offset = this.nextOffset;
      this.collecting = undefined;
    }
    if (this.chain && !this.balanceReported) {
      try {
        const [balance, fees] = await Promise.all([
          this.chain.provider.getBalance(this.chain.relayer),
          this.chain.provider.getFeeData(),
        ]);
        this.setRelayerBalance(balance);
        this.setGasPrice(fees.maxFeePerGas ?? fees.gasPrice ?? 0n);
        this.readErrorLogged = "";
      } catch (err) {
        // The round's work is done; the gauges keep their last values.
        const error = err instanceof Error ? err.message.split("\n")[0] : String(err);
        if (this.readErrorLogged !== error) this.log?.warn({ action: "metrics-read", error });
        this.readErrorLogged = error;
      }
    }
    this.lastGoodMs = this.clock();
    this.lastGoodRound.set(this.lastGoodMs / 1000);
    this.rounds.inc({ result: "ok" });
    this.okRounds++;
    this.failedInARow = 0;
    this.lastError = undefined;
  }

  roundFailed(error: string): void {
    this.collecting = undefined;
    this.rounds.inc({ result: "error" });
    this.failedRounds++;
    this.failedInARow++;
    this.lastError = error;
  }

  /** `/healthz`: 200 while the last good round ended at most `healthIntervals` intervals ago. */
  health(): Health {
    const maxSeconds = (this.opts.healthIntervals * this.opts.intervalMs) / 1000;
    const since = this.lastGoodMs === undefined ? null : (this.clock() - this.lastGoodMs) / 1000;
    const ok = since !== null && since <= maxSeconds;
    const pending = this.pendingSince();
    return {
      status: ok ? 200 : 503,
      body: {
        ok,
        reason: ok
          ? "the last good round is recent"
          : since === null
            ? "no good round yet"
            : `no good round for ${Math.round(since)} s (more than ${this.opts.healthIntervals} intervals)`,
        lastGoodRound: this.lastGoodMs === undefined ? null : new Date(this.lastGoodMs).toISOString(),
        secondsSinceGoodRound: since === null ? null : Math.round(since * 1000) / 1000,
        maxSeconds,
        rounds: { ok: this.okRounds, failed: this.failedRounds, failedInARow: this.failedInARow },
        ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
        ...(this.rpc === undefined ? {} : { rpc: this.rpc.current }),
        pendingTxAgeSeconds: pending === undefined ? 0 : Math.max(0, (this.clock() - pending) / 1000),
      },
    };
  }

  /** Serves `/metrics` and `/healthz`; resolves once listening (a port in use is a UserError). */
  async serve(log: Logger): Promise<MonitorServer> {
    const server = http.createServer((req, res) => {
      const url = (req.url ?? "/").split("?")[0];
      if (req.method !== "GET" && req.method !== "HEAD") return void res.writeHead(405).end();
      if (url === "/metrics") {
        this.registry.metrics().then(
          (text) => res.writeHead(200, { "content-type": this.registry.contentType }).end(text),
          (err: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(String(err)),
        );
        return;
      }
      if (url === "/healthz") {
        const h = this.health();
        return void res.writeHead(h.status, { "content-type": "application/json" }).end(JSON.stringify(h.body) + "\n");
      }
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: try /metrics or /healthz\n");
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err: NodeJS.ErrnoException) => {
        const where = `${this.opts.host}:${this.opts.port}`;
        reject(
          err.code === "EADDRINUSE"
            ? new UserError(`--metrics-port: ${where} is in use`)
            : new UserError(`--metrics-host: cannot listen on ${where} (${err.code ?? err.message})`),
        );
      });
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const host = this.opts.host.includes(":") ? `[${this.opts.host}]` : this.opts.host;
    const base = `http://${host}:${port}`;
    log.info({ action: "metrics", url: `${base}/metrics`, health: `${base}/healthz` });
    return {
      url: base,
      port,
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    };
  }
}

export interface MonitorServer {
  /** http://host:port */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The monitor `--metrics-port` asks for (undefined without it). */
export function monitorFromArgs(
  args: Pick<OracleArgs, "metricsPort" | "metricsHost" | "healthIntervals">,
  intervalMs: number,
): OracleMonitor | undefined {
  if (args.metricsPort === undefined || args.metricsPort === "") {
    if (args.metricsHost !== undefined) throw new UserError("--metrics-host: only with --metrics-port");
    if (args.healthIntervals !== undefined) throw new UserError("--health-intervals: only with --metrics-port");
    return undefined;
  }
  const port = Number(args.metricsPort);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UserError(`--metrics-port: "${args.metricsPort}" is not a port (0-65535; 0: any free port)`);
  let healthIntervals = DEFAULT_HEALTH_INTERVALS;
  if (args.healthIntervals !== undefined) {
    healthIntervals = Number(args.healthIntervals);
    if (!Number.isFinite(healthIntervals) || healthIntervals <= 0)
      throw new UserError(`--health-intervals: "${args.healthIntervals}" is not a positive number`);
  }
  const host = args.metricsHost === undefined || args.metricsHost === "" ? DEFAULT_METRICS_HOST : args.metricsHost;
  return new OracleMonitor({ host, port, intervalMs, healthIntervals });
}
