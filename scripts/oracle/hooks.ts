/**
 * Points where a caller may run code inside the daemon (`oracle run`), e.g. a test killing the process between
 * recording a transaction and broadcasting it. Production code calls the hooks and sets none; the end-to-end
 * test's Hardhat config (test/oracle/e2e/hardhat.config.ts) sets them in the CLI processes it starts.
 */
export interface DaemonHooks {
  /** A signed transaction was recorded in the state folder and not yet broadcast. */
  afterRecord?: () => void;
  /** The recorded transaction was broadcast; its receipt is not yet recorded. */
  afterBroadcast?: () => void;
  /** The digest chosen for a milestone was recorded (sign-record.ts) and not yet signed. */
  afterSignRecord?: () => void;
}

/** The hooks every daemon of this process calls. */
export const daemonHooks: DaemonHooks = {};
