/**
 * Output. Commands print human lines through an `Output`; the daemon and the long-running commands write
 * structured logs: one JSON object per line with time, level, agreement, milestone, action and txHash.
 */

export interface Output {
  /** A result line (stdout). */
  info(line: string): void;
  /** A warning or a refusal's explanation (stderr). */
  warn(line: string): void;
}

export const consoleOutput: Output = {
  info: (line) => console.log(line),
  warn: (line) => console.error(line),
};

export type Level = "debug" | "info" | "warn" | "error";

export interface LogFields {
  agreement?: string | bigint;
  milestone?: number;
  action: string;
  txHash?: string;
  [key: string]: unknown;
}

export type LogSink = (line: string) => void;

export class Logger {
  constructor(private readonly sink: LogSink = (line) => console.log(line)) {}

  log(level: Level, fields: LogFields): void {
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level };
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      entry[k] = typeof v === "bigint" ? v.toString() : v;
    }
    this.sink(JSON.stringify(entry));
  }

  info(fields: LogFields): void {
    this.log("info", fields);
  }
  warn(fields: LogFields): void {
    this.log("warn", fields);
  }
  error(fields: LogFields): void {
    this.log("error", fields);
  }
  debug(fields: LogFields): void {
    this.log("debug", fields);
  }
}
