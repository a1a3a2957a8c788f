/**
 * The daemon's RPC: several URLs for one network, in order, with failover (docs/oracle.md, "RPC failover").
 *
 * `FailoverProvider` is an ethers v6 `JsonRpcProvider` (a subclass overriding `_send`, the one transport primitive
 * every request and batch goes through), so the escrow contract, the relayer's wallet, the lifecycle reads and the
 * sender use it like any provider. It
 *  - checks each URL's chain id (`eth_chainId`) at start against the chain id the Hardhat config pins for the
 *    network: a URL of another chain is a UserError naming it and both chain ids; an unreachable URL is a warning,
 *    and is checked before it is first used;
 *  - sends each request to the URL in use, and on a transport failure (connection refused or reset, a timeout of
 *    `timeoutMs`, HTTP 401/403/408/429 or 5xx, an answer that is not JSON-RPC) moves to the next URL (cyclically),
 *    checks its chain id again before using it (a URL answering another chain by then is dropped for good), and
 *    retries the same payload there; when every URL fails, the request fails (the daemon's round retries with
 *    backoff). A JSON-RPC error answer (a revert, "nonce too low") is the chain's answer and is not retried;
 *  - logs which URL it uses (`{"action":"rpc","url":...,"reason":...}`), each failure (`rpc-error`) and counts the
 *    errors by URL (for `sla_oracle_rpc_errors_total`), with URLs always redacted (`redactUrl`): an RPC URL often
 *    carries an access token in its path, query string or user info.
 * It stays on a URL until that URL fails (no return to the first one): every URL of the list is trusted alike.
 *
 * Why not ethers' `FallbackProvider`: it is built for providers that distrust one another, not for failover in
 * order. It sends a request to providers by priority and weight until a quorum of equal answers (with quorum 1 it
 * still starts the next provider whenever one stalls for its `stallTimeout`, 400 ms by default: duplicate requests
 * on a slow URL), and broadcasts every transaction to every provider; at start it waits for every provider and
 * only checks that their chain ids agree with one another, not with the chain id the config pins, and never checks
 * a provider again; it is not a `JsonRpcProvider`; and it neither says which URL it uses nor counts errors by URL.
 * Failover in order with a chain id check per URL is a few lines over `_send`.
 */
import { type JsonRpcError, type JsonRpcPayload, JsonRpcProvider, type JsonRpcResult, Network } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { UserError } from "../lib/errors";
import { isPublicNetwork, PUBLIC_NETWORKS, rpcUrls } from "../adapters/networks";
import type { OracleArgs } from "./commands";
import type { Logger } from "./log";

/** The per-request timeout when neither `--rpc-timeout` nor the network's `timeout` in the Hardhat config is set. */
export const DEFAULT_RPC_TIMEOUT_MS = 10_000;

/** Path segments kept as they are when redacting: versions (`v3`) and short lowercase words (`rpc`, `eth-sepolia`). */
const PLAIN_SEGMENT = /^(v\d{1,2}|[a-z]{1,12}(-[a-z]{1,12}){0,2})$/;

/**
 * A URL safe to log: scheme, host and port as they are; user info, the query string and every path segment that
 * is not a version or a short lowercase word replaced by `***`; the fragment dropped.
 * `https://eth-sepolia.g.alchemy.com/v2/AbC123...` -> `https://eth-sepolia.g.alchemy.com/v2/***`.
 */
export function redactUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return "(not a URL)";
  }
  const user = u.username !== "" || u.password !== "" ? "***@" : "";
  const pathname = u.pathname
    .split("/")
    .map((seg) => (seg === "" || PLAIN_SEGMENT.test(seg) ? seg : "***"))
    .join("/");
  return `${u.protocol}//${user}${u.host}${pathname}${u.search !== "" ? "?***" : ""}`;
}

/** `--rpc URL1,URL2`: the URLs, each http(s); messages show them redacted. */
export function parseRpcFlag(value: string): string[] {
  const urls = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (urls.length === 0) throw new UserError("--rpc: no URL (give one or several, comma separated)");
  for (const url of urls) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UserError(`--rpc: "${redactUrl(url)}" is not a URL (expected http:// or https://)`);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
      throw new UserError(`--rpc: ${redactUrl(url)} is not an http:// or https:// URL`);
  }
  return urls;
}

/** A request that did not get a JSON-RPC answer from a URL: the next URL is tried. */
class TransportError extends Error {}

/** A URL answering another chain: never used. */
class WrongChain extends Error {}

/** Every URL failed one request (`code` as ethers' network errors, so the drivers describe it as an outage). */
export class RpcUnavailableError extends Error {
  readonly code = "NETWORK_ERROR";
}

export interface Endpoint {
  url: string;
  /** The URL redacted (what logs, messages and metric labels show). */
  label: string;
  /** Requests that failed on this URL (chain id checks included). */
  errors: number;
  /** It answered another chain id: never used. */
  refused: boolean;
}

export interface FailoverListener {
  /** A request to `label` failed for `reason`. */
  error?(label: string, reason: string): void;
  /** The provider now sends to `label`. */
  using?(label: string): void;
}

export interface FailoverOptions {
  /** The chain id the Hardhat config pins for the network: every URL must answer it. */
  chainId: bigint;
  /** Per-request timeout (ms); every URL gets the full timeout. */
  timeoutMs: number;
  log: Logger;
  /** Where the URLs come from, for messages: `--rpc`, `SEPOLIA_RPC_URL`, `the url of network e2e`. */
  source: string;
  /** The network's name, for messages. */
  network: string;
  /**
   * ethers' JSON-RPC batching (calls made within `stallMs` of each other go in one HTTP request). Default off:
   * each call is sent at once on its own, as with Hardhat's provider (no 10 ms stall before sequential calls).
   */
  batch?: { maxCount: number; stallMs: number };
}

/** Why a request failed, in a few words without the URL (a transport error's code, the HTTP status, a timeout). */
function reasonOf(err: unknown, timeoutMs: number): string {
  if (err instanceof TransportError) return err.message;
  const e = err as { name?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return `timeout after ${timeoutMs} ms`;
  const code = e?.cause?.code;
  if (typeof code === "string") return code;
  const msg = typeof e?.cause?.message === "string" ? e.cause.message : typeof e?.message === "string" ? e.message : "";
  return msg.split("\n")[0] || String(err);
}

/** `reason` with the endpoint's URL, or its secret-bearing parts, replaced by the redacted label (belt and braces). */
function scrub(reason: string, e: Endpoint): string {
  let out = reason.split(e.url).join(e.label);
  try {
    const u = new URL(e.url);
    for (const secret of [u.pathname.length > 1 ? u.pathname : "", u.search, u.username, u.password])
      if (secret.length > 1) out = out.split(secret).join("***");
  } catch {
    // not a URL: nothing more to hide
  }
  return out;
}

export class FailoverProvider extends JsonRpcProvider {
  readonly endpoints: Endpoint[];
  private active = 0;
  /** The index whose chain id was checked since the provider last moved to it (-1: none). */
  private verified = -1;
  private verifying: { index: number; done: Promise<void> } | undefined;
  private announced = -1;
  private readonly watchers: FailoverListener[] = [];

  constructor(
    urls: readonly string[],
    private readonly opts: FailoverOptions,
  ) {
    if (urls.length === 0) throw new UserError(`${opts.source}: no RPC URL`);
    const network = Network.from(opts.chainId);
    // staticNetwork: ethers never asks eth_chainId itself (start() and every switch check it against the pin);
    // cacheTimeout -1: no reuse of an earlier identical call's answer (two quick transactions would get one nonce).
    super(urls[0], network, {
      staticNetwork: network,
      cacheTimeout: -1,
      batchMaxCount: opts.batch?.maxCount ?? 1,
      batchStallTime: opts.batch?.stallMs ?? 0,
    });
    this.endpoints = urls.map((url) => ({ url, label: redactUrl(url), errors: 0, refused: false }));
  }

  /** The URL in use, redacted. */
  get current(): string {
    return this.endpoints[this.active].label;
  }

  watch(l: FailoverListener): void {
    this.watchers.push(l);
  }

  /**
   * At start: every URL's chain id, in parallel. A URL of another chain is refused (UserError); an unreachable one
   * is logged and checked again before it is first used. The first URL that answered the pinned chain is used.
   */
  async start(): Promise<void> {
    const answers = await Promise.all(
      this.endpoints.map(async (e) => {
        try {
          return { id: await this.chainIdOf(e) };
        } catch (err) {
          return { error: scrub(reasonOf(err, this.opts.timeoutMs), e) };
        }
      }),
    );
    answers.forEach((a, i) => {
      const e = this.endpoints[i];
      if (a.id !== undefined && a.id !== this.opts.chainId) {
        throw new UserError(
          `${this.opts.source}: ${e.label} answers chain id ${a.id}, but network ${this.opts.network} is configured as chain ${this.opts.chainId}; refusing it (a wrong or lying RPC)`,
        );
      }
    });
    answers.forEach((a, i) => {
      const e = this.endpoints[i];
      if (a.error === undefined) {
        this.opts.log.info({ action: "rpc-check", url: e.label, chainId: this.opts.chainId.toString() });
      } else {
        this.countError(e, a.error);
        this.opts.log.warn({
          action: "rpc-check",
          url: e.label,
          reason: `unreachable at start (${a.error}): its chain id is checked before it is used`,
        });
      }
    });
    const first = answers.findIndex((a) => a.error === undefined);
    this.active = Math.max(0, first);
    if (first >= 0) this.verified = first;
    // With no URL answering yet, the first one that answers a request is logged then.
    if (first >= 0)
      this.announce(`start: first of ${this.endpoints.length} URL(s) answering chain ${this.opts.chainId}`);
  }

  // JsonRpcProvider declares JsonRpcResult[]; the answers may hold JsonRpcErrors too, as with any node.
  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const failures: string[] = [];
    for (let tries = 0; tries < this.endpoints.length; tries++) {
      const i = this.active;
      const e = this.endpoints[i];
      if (e.refused) {
        this.moveOn(i, "it answers another chain");
        continue;
      }
      try {
        await this.verify(i);
        const answer = await this.post(e, payload);
        this.announce("answering");
        return answer as JsonRpcResult[];
      } catch (err) {
        if (err instanceof WrongChain) {
          failures.push(`${e.label}: ${err.message}`);
          this.moveOn(i, err.message);
          continue;
        }
        const reason = scrub(reasonOf(err, this.opts.timeoutMs), e);
        failures.push(`${e.label}: ${reason}`);
        this.countError(e, reason);
        const method = Array.isArray(payload) ? `batch of ${payload.length}` : payload.method;
        this.opts.log.warn({ action: "rpc-error", url: e.label, method, error: reason });
        this.moveOn(i, `${e.label} failed: ${reason}`);
      }
    }
    if (this.endpoints.every((e) => e.refused)) {
      throw new UserError(
        `${this.opts.source}: every RPC URL answers another chain than ${this.opts.chainId} (${failures.join("; ")})`,
      );
    }
    throw new RpcUnavailableError(`no RPC URL answered (${failures.join("; ")})`);
  }

  /** Checks the chain id of URL `i` once per stint (concurrent requests share the check). */
  private async verify(i: number): Promise<void> {
    if (this.verified === i) return;
    if (this.verifying?.index !== i) {
      const e = this.endpoints[i];
      const done = (async () => {
        const id = await this.chainIdOf(e);
        if (id !== this.opts.chainId) {
          e.refused = true;
          const reason = `answers chain id ${id}, but network ${this.opts.network} is chain ${this.opts.chainId}`;
          this.opts.log.error({ action: "rpc-refused", url: e.label, reason: `${reason}: never used again` });
          throw new WrongChain(reason);
        }
        if (this.active === i) this.verified = i;
      })();
      this.verifying = { index: i, done };
      done.then(
        () => this.verifying?.done === done && (this.verifying = undefined),
        () => this.verifying?.done === done && (this.verifying = undefined),
      );
    }
    await this.verifying.done;
  }

  /** URL `i` failed: the next usable URL becomes the one in use (unless a concurrent request moved on already). */
  private moveOn(i: number, reason: string): void {
    if (this.active !== i) return;
    const n = this.endpoints.length;
    for (let k = 1; k <= n; k++) {
      const j = (i + k) % n;
      if (this.endpoints[j].refused) continue;
      if (j === i) return; // the only usable URL
      this.active = j;
      this.verified = -1;
      this.announce(reason, this.endpoints[i].label);
      return;
    }
  }

  /** Logs the URL in use when it changed since the last line. */
  private announce(reason: string, from?: string): void {
    if (this.announced === this.active) return;
    this.announced = this.active;
    const label = this.endpoints[this.active].label;
    this.opts.log.log(from === undefined ? "info" : "warn", { action: "rpc", url: label, reason, from });
    for (const l of this.watchers) l.using?.(label);
  }

  private countError(e: Endpoint, reason: string): void {
    e.errors++;
    for (const l of this.watchers) l.error?.(e.label, reason);
  }

  private async chainIdOf(e: Endpoint): Promise<bigint> {
    const [answer] = await this.post(e, { jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] });
    if (!answer || !("result" in answer) || typeof answer.result !== "string")
      throw new TransportError("eth_chainId: no chain id in the answer");
    return BigInt(answer.result);
  }

  /** One HTTP POST of `payload` to `e`; a TransportError (or fetch's own) when there is no JSON-RPC answer. */
  private async post(
    e: Endpoint,
    payload: JsonRpcPayload | JsonRpcPayload[] | Record<string, unknown>,
  ): Promise<(JsonRpcResult | JsonRpcError)[]> {
    const res = await fetch(e.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(this.opts.timeoutMs),
    });
    const text = await res.text();
    const status = res.status;
    if (status === 401 || status === 403 || status === 408 || status === 429 || status >= 500)
      throw new TransportError(`HTTP ${status}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new TransportError(`HTTP ${status}, not JSON`);
    }
    const answers = (Array.isArray(body) ? body : [body]) as (JsonRpcResult | JsonRpcError)[];
    const wellFormed = answers.every((a) => a !== null && typeof a === "object" && ("result" in a || "error" in a));
    if (!wellFormed) throw new TransportError(`HTTP ${status}, not a JSON-RPC answer`);
    // A non-2xx status with JSON-RPC errors (some nodes answer a bad request with 400) is the node's answer.
    if (!res.ok && !answers.every((a) => "error" in a)) throw new TransportError(`HTTP ${status}`);
    return answers;
  }
}

/** The daemon's RPC URLs and where they come from: `--rpc`, else the public network's variable, else its `url`. */
export function rpcUrlsOf(
  hre: HardhatRuntimeEnvironment,
  args: Pick<OracleArgs, "rpc">,
  env: Record<string, string | undefined> = process.env,
): { urls: string[]; source: string } | undefined {
  if (args.rpc !== undefined) return { urls: parseRpcFlag(args.rpc), source: "--rpc" };
  const name = hre.network.name;
  if (isPublicNetwork(name)) return { urls: rpcUrls(env, name), source: PUBLIC_NETWORKS[name].rpcVar };
  const config = hre.network.config;
  if ("url" in config && config.url !== "") return { urls: [config.url], source: `the url of network ${name}` };
  return undefined; // the in-process network
}

/** `--rpc-timeout MS`, else the network's `timeout` when the Hardhat config sets it, else DEFAULT_RPC_TIMEOUT_MS. */
export function rpcTimeoutOf(hre: HardhatRuntimeEnvironment, args: Pick<OracleArgs, "rpcTimeout">): number {
  if (args.rpcTimeout !== undefined && args.rpcTimeout !== "") {
    const n = Number(args.rpcTimeout);
    if (!Number.isInteger(n) || n <= 0)
      throw new UserError(`--rpc-timeout: "${args.rpcTimeout}" is not a positive number of milliseconds`);
    return n;
  }
  const configured = (hre.userConfig.networks?.[hre.network.name] as { timeout?: unknown } | undefined)?.timeout;
  return typeof configured === "number" && configured > 0 ? configured : DEFAULT_RPC_TIMEOUT_MS;
}

/**
 * The daemon's provider: a FailoverProvider over the network's URLs, started (chain ids checked). Undefined for the
 * in-process `hardhat` network without `--rpc`, and for a network that pins no chain id (`connect` refuses it).
 */
export async function daemonProvider(
  hre: HardhatRuntimeEnvironment,
  args: Pick<OracleArgs, "rpc" | "rpcTimeout">,
  log: Logger,
): Promise<FailoverProvider | undefined> {
  const list = rpcUrlsOf(hre, args);
  const timeoutMs = rpcTimeoutOf(hre, args);
  const pinned = hre.network.config.chainId;
  if (list === undefined || pinned === undefined) return undefined;
  const provider = new FailoverProvider(list.urls, {
    chainId: BigInt(pinned),
    timeoutMs,
    log,
    source: list.source,
    network: hre.network.name,
  });
  try {
    await provider.start();
  } catch (err) {
    provider.destroy();
    throw err;
  }
  return provider;
}
