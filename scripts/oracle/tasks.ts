/**
 * The oracle program's Hardhat task (`npx hardhat oracle <command> ...`). Registered by hardhat.config.ts at
 * load time, before anything is compiled: this file only declares the task; the work is imported lazily.
 */
import { task } from "hardhat/config";

task("oracle", "The SLA oracle: attest | verify | sign | post | run | probe (see docs/oracle.md)")
  .addPositionalParam("command", "attest | verify | sign | post | run | probe")
  .addOptionalParam("agreement", "agreement id")
  .addOptionalParam("milestone", "milestone index (from 0)")
  .addOptionalParam("samples", "sample file: CSV (timestamp,ok,latency_ms) or a .jsonl probe store")
  .addOptionalParam(
    "metrics",
    "probe metric names in the agreement's metric order, e.g. availability_ppm,latency_p95_ms (or --metric-spec)",
  )
  .addOptionalParam(
    "metricSpec",
    "metric spec file (JSON): each metric's name, kind and parameters in the agreement's order (docs/kpis.md)",
  )
  .addOptionalParam("tickets", "ticket export (CSV: ticket_id,priority,created_at,first_response_at,resolved_at,...)")
  .addOptionalParam("calls", "call export (CSV: call_id,offered_at,answered_at,abandoned_at,handle_seconds)")
  .addOptionalParam("items", "work-item export (CSV: item_id,received_at,completed_at,...)")
  .addOptionalParam("report", "report file (verify, sign, post)")
  .addOptionalParam("escrow", "escrow address (default: the SLAEscrow deployment of the network)")
  .addOptionalParam(
    "keystore",
    "encrypted JSON keystore (password in ORACLE_KEYSTORE_PASSWORD) instead of ORACLE_PRIVATE_KEY",
  )
  .addOptionalParam(
    "oracleAddress",
    "attest/sign/run: the oracle is this contract wallet (ERC-1271), the key one of its signers",
  )
  .addOptionalParam("out", "output file (attest: the report; sign: the signature file)")
  .addOptionalParam("signatures", "post: signature files or folders, comma separated (default: the report's folder)")
  .addOptionalParam("tolerance", "sign/run: NAME=N or NAME=N% per metric, comma separated")
  .addOptionalParam(
    "prometheus",
    "Prometheus base URL: probe samples by range queries (instead of --samples), and the prometheus.* kinds",
  )
  .addOptionalParam("promSuccess", "Prometheus success query (default probe_success)")
  .addOptionalParam("promLatency", "Prometheus latency query in seconds (default probe_duration_seconds)")
  .addOptionalParam("promStep", "Prometheus query step in seconds (default 15)")
  .addOptionalParam("promTimeout", "Prometheus request timeout in ms (default 10000)")
  .addOptionalParam("fromBlock", "first block to search for events (default 0)")
  .addOptionalParam(
    "state",
    "run/attest/sign: state folder, incl. the record of the one digest signed per milestone (default oracle-state/<network>/<key address>)",
  )
  .addOptionalParam("shared", "run: shared folder where co-signing oracles exchange reports and signatures")
  .addOptionalParam("interval", "run: seconds between rounds (default 30); probe: seconds between probes")
  .addOptionalParam("blockRange", "run: blocks per event query (default 5000)")
  .addFlag("once", "run: one round, then exit (for cron)")
  .addFlag("noSettle", "run: do not settle")
  .addOptionalParam("url", "probe: URL to probe")
  .addOptionalParam("store", "probe/run: JSON-lines store of probe results")
  .addOptionalParam("timeout", "probe: request timeout in ms (default 5000)")
  .addOptionalParam("expectStatus", "probe: expected HTTP status (default 200)")
  .addOptionalParam("count", "probe: stop after this many probes")
  .addOptionalParam(
    "lag",
    "seconds after a milestone's dueAt before measuring it, and after which an export must have been written (default 0; run --url: the probe timeout + 1 s)",
  )
  .addOptionalParam(
    "proposalWindow",
    "run --shared: seconds after publishing its report before an oracle signs the first proposal in oracle order within its tolerance (default 60; at most half the attestation window)",
  )
  .addOptionalParam(
    "stagger",
    "run: oracle i of an agreement relays posts and settles i * this many seconds late (default 15)",
  )
  .addOptionalParam("probeInterval", "run --url: seconds between probes (default 30)")
  .addOptionalParam(
    "maxFeeGwei",
    "run: cap on maxFeePerGas in gwei (default per network: <NETWORK>_ORACLE_MAX_FEE_GWEI, else scripts/adapters/networks.ts)",
  )
  .addOptionalParam(
    "confirmations",
    "run: blocks (the one holding it included) before a posting or settlement counts as done (default per network)",
  )
  .addOptionalParam("bumpAfterBlocks", "run: replace a transaction not mined after this many blocks (default 3)")
  .addOptionalParam("bumpAfterSeconds", "run: ...or after this many seconds, whichever comes first (default 60)")
  .addOptionalParam(
    "minPostings",
    "run: warn when the relayer's balance pays for fewer postings than this at the current fees (default 10; 0: never)",
  )
  .addOptionalParam(
    "rpc",
    "run: RPC URL(s), comma separated, in failover order, instead of the network's (default: its URL, or its *_RPC_URL list)",
  )
  .addOptionalParam(
    "rpcTimeout",
    "run: per-request RPC timeout in ms before the next URL is tried (default: the network's timeout, else 10000)",
  )
  .addOptionalParam("metricsPort", "run: serve Prometheus metrics (/metrics) and /healthz on this port (0: any)")
  .addOptionalParam("metricsHost", "run --metrics-port: address to listen on (default 127.0.0.1)")
  .addOptionalParam(
    "healthIntervals",
    "run --metrics-port: /healthz answers 200 while the last good round is at most this many intervals old (default 3)",
  )
  .setAction(async (args, hre) => {
    const { runOracleTask } = await import("./cli");
    return runOracleTask(args, hre);
  });
