/** Hash routes (`#/`, `#/new`, `#/agreement/<id>`, `#/verify`): any static host serves them, no fallback needed. */
import { useEffect, useState } from "react";

export type Route =
  | { page: "home" }
  | { page: "new" }
  | { page: "verify" }
  | { page: "agreement"; id: bigint }
  | { page: "unknown"; path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "") || "/";
  if (path === "/") return { page: "home" };
  if (path === "/new") return { page: "new" };
  if (path === "/verify" || path.startsWith("/verify?")) return { page: "verify" };
  const m = /^\/agreement\/(\d{1,78})$/.exec(path);
  if (m) return { page: "agreement", id: BigInt(m[1]) };
  return { page: "unknown", path };
}

export function useRoute(): Route {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const on = () => setHash(window.location.hash);
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return parseRoute(hash);
}

export function go(path: string): void {
  window.location.hash = `#${path}`;
}
