/**
 * The demo's "vendor service": a real HTTP server (node:http on 127.0.0.1, a free port) that plays the
 * scripted timeline. The oracle's prober probes `GET /health?vt=<unix seconds>`: `vt` is the virtual moment the
 * probe stands for (the demo's compressed clock), so that many probes of different virtual moments can be in
 * flight at once and the service still knows which part of its script to play. Everything else is real: real
 * sockets, real delays, real 503s, requests that never get an answer, connections closed without one.
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type Behaviour, normalDelayMs } from "./timeline";

export interface ServiceStats {
  requests: number;
  ok: number;
  slow: number;
  unavailable: number;
  hung: number;
  dropped: number;
}

export interface VendorService {
  /** The URL to probe (add `?vt=<unix seconds>`). */
  readonly url: string;
  readonly stats: ServiceStats;
  /** Stops the server: closes every connection (hanging requests included) and clears pending timers. */
  close(): Promise<void>;
}

/**
 * Starts the service; `behaviour(vt)` decides what to do with a request for virtual time `vt`. The script
 * itself (scripts/demo/timeline.ts) is deterministic: the same virtual moment always behaves the same.
 */
export async function startVendorService(behaviour: (virtualTime: number) => Behaviour): Promise<VendorService> {
  const stats: ServiceStats = { requests: 0, ok: 0, slow: 0, unavailable: 0, hung: 0, dropped: 0 };
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();

  const server = http.createServer((req, res) => {
    stats.requests++;
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== "/health") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    // A request without a virtual time (e.g. the prober's warm-up, or curl) gets a normal answer.
    const vtText = url.searchParams.get("vt");
    const b: Behaviour =
      vtText !== null && /^[0-9]+$/.test(vtText)
        ? behaviour(Number(vtText))
        : { kind: "ok", delayMs: normalDelayMs(Date.now()) };
    switch (b.kind) {
      case "503":
        stats.unavailable++;
        res.writeHead(503, { "content-type": "application/json", "retry-after": "60" });
        res.end('{"status":"unavailable"}\n');
        return;
      case "hang":
        stats.hung++; // never answered; the socket closes when the prober gives up (or at close())
        return;
      case "drop":
        stats.dropped++;
        req.socket.destroy();
        return;
      case "ok": {
        if (b.incident === "slow") stats.slow++;
        else stats.ok++;
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!res.destroyed) res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}\n');
        }, b.delayMs);
        timers.add(timer);
        return;
      }
    }
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  // Quiet on client aborts (a timed-out probe resets its connection).
  server.on("clientError", (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/health`,
    stats,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
