/**
 * The co-signing protocol of the daemon (DESIGN.md, "Co-signing"), per due milestone: our own report, measured
 * once; with a shared folder, publishing it with our proposal signature, the proposal window, and the choice of
 * the first proposal in oracle order that we may sign; the one-digest-per-milestone record before the key signs;
 * then collecting the signatures of the digest we signed until the threshold is met. The rules a proposal is
 * checked against are cosign.ts's, the record sign-record.ts's.
 */
import fs from "node:fs";
import path from "node:path";
import { type Wallet, getAddress } from "ethers";
import { attestationDigest, packSignatures } from "../../lib/attestation";
import { UserError } from "../../lib/errors";
import type { AgreementTerms } from "../../lib/model";
import { formatTime } from "../../lib/time";
import { type Connection, measure, recordBeforeSign } from "../commands";
import { firstDifference, hasProposal, writeProposal } from "../cosign";
import type { DaemonHooks } from "../hooks";
import type { Logger } from "../log";
import type { MetricSpec } from "../../lib/kpi/spec";
import type { Tolerances } from "../../lib/kpi/tolerance";
import { PeriodNotComplete } from "../samples";
import type { Sources } from "../measure";
import { type LoadedReport, evidenceOf, loadReport, serializeReport, writeFileAtomic } from "../report";
import { type MilestoneKey, readSignedRecord } from "../sign-record";
import {
  type DigestCheck,
  collectSignatures,
  listSignatureFiles,
  signChecked,
  signatureRecord,
  writeSignatureFile,
} from "../signing";
import type { Item } from "./sender";
import type { StateStore } from "./state";

export interface CoSigningOptions {
  specs: MetricSpec[];
  sources: Sources;
  stateDir: string;
  tolerances: Tolerances;
  /** Seconds after a period's end before an export counts as complete for it. */
  lagSeconds: number;
  /** Shared folder: seconds after publishing our report before choosing which proposal to sign. */
  proposalWindowSeconds: number;
  /** The check of each digest against the escrow's (default: one eth_call; the daemon batches them). */
  checkDigest?: DigestCheck;
}

/** Logs a refusal or a wait once per milestone and reason (rounds repeat). */
export type Note = (id: string, m: number, level: "info" | "warn", action: string, reason: string) => void;

export class CoSigner {
  constructor(
    private readonly c: Connection,
    private readonly oracle: Wallet,
    /** The oracle's address in the terms: the key's, or a contract wallet's. */
    private readonly identity: string,
    private readonly opts: CoSigningOptions,
    /** `<shared>/<chainId>-<escrow>`, or undefined without `--shared`. */
    private readonly sharedFolder: string | undefined,
    private readonly store: StateStore,
    private readonly log: Logger,
    private readonly note: Note,
    private readonly hooks: DaemonHooks,
  ) {}

  /** The signing record's key for a milestone of ours. */
  private milestoneKey(terms: AgreementTerms, m: number): MilestoneKey {
    return {
      chainId: this.c.chainId,
      escrow: this.c.address,
      agreementId: terms.id,
      milestone: m,
      oracle: this.identity,
    };
  }

  /**
   * Our own report of a due milestone: measured once from our own source with our own metric names, kept in the
   * state folder and reused after a restart. Undefined (noted, retried next round) when the source refuses it.
   */
  private async ownReport(terms: AgreementTerms, m: number): Promise<LoadedReport | undefined> {
    const id = terms.id.toString();
    const file = path.join(this.opts.stateDir, "reports", `agreement-${id}-milestone-${m}.json`);
    if (!fs.existsSync(file)) {
      try {
        const report = await measure(
          this.c,
          terms,
          m,
          this.opts.specs,
          this.opts.sources,
          this.identity,
          this.opts.lagSeconds,
        );
        const bytes = serializeReport(report);
        writeFileAtomic(file, bytes);
        this.log.info({
          agreement: id,
          milestone: m,
          action: "report",
          file,
          values: report.values,
          cutBps: report.cutBps,
          evidence: evidenceOf(bytes),
        });
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        if (err instanceof PeriodNotComplete) this.note(id, m, "info", "waiting", err.message);
        else this.note(id, m, "warn", "refused", err.message);
        return undefined;
      }
    }
    return loadReport(file, "--state report");
  }

  /**
   * For a due milestone, DESIGN.md's co-signing rules:
   *  1. what we signed decides: once a digest is recorded for the milestone (state folder, signed/), we only
   *     ever (re)sign that one, and collect its signatures;
   *  2. otherwise we measure our own report; with a shared folder we publish it with our proposal signature,
   *     wait the proposal window, then sign the first proposal in oracle order that matches our chain, escrow,
   *     agreement, milestone, period and metrics, whose cutBps is the penalty rule's and whose values are within
   *     our tolerance of ours (ours qualifies); a file is ours only when its bytes are the report we wrote;
   *  3. the digest is recorded before the key signs it, and the signature file is written after.
   * Returns the post once the digest we signed has its threshold of valid signatures.
   */
  async prepare(terms: AgreementTerms, m: number, now: number): Promise<Item | undefined> {
    const id = terms.id.toString();
    const shared = this.sharedFolder;
    const base = `agreement-${id}-milestone-${m}`;
    const sigDir = shared ?? path.join(this.opts.stateDir, "signatures");
    let signed = readSignedRecord(this.opts.stateDir, this.milestoneKey(terms, m));
    let fresh: { signature: string; digest: string } | undefined;
    if (!signed) {
      const own = await this.ownReport(terms, m);
      if (!own) return undefined;
      let choice: { values: number[]; evidence: string; proposer: string } | undefined = {
        values: own.report.values,
        evidence: own.evidence,
        proposer: this.identity,
      };
      if (shared) {
        const due = terms.milestones[m].dueAt;
        const rec = this.store.milestone(id, m);
        this.publish(shared, base, own, terms, m);
        if (rec.proposedAt === undefined) {
          rec.proposedAt = now;
          this.store.save();
        }
        // The window never takes more than half of the attestation window: the quorum needs time to post.
        const signAt = Math.min(
          rec.proposedAt + this.opts.proposalWindowSeconds,
          due + Math.floor(terms.attestGrace / 2),
        );
        if (now < signAt) {
          this.note(
            id,
            m,
            "info",
            "waiting",
            `proposal window: signing the first proposal in oracle order from ${formatTime(signAt)}`,
          );
          return undefined;
        }
        choice = await this.choose(shared, base, terms, m, own);
      }
      if (!choice) return undefined;
      const att = { agreementId: terms.id, milestone: m, values: choice.values, evidence: choice.evidence };
      fresh = await signChecked(
        this.c.escrow,
        this.oracle,
        this.c.domain,
        att,
        this.identity,
        recordBeforeSign(this.opts.stateDir, this.c, this.identity, att, () => this.hooks.afterSignRecord?.()),
        this.opts.checkDigest,
      );
      const { digest } = fresh;
      this.log.info({
        agreement: id,
        milestone: m,
        action: "chose",
        proposer: choice.proposer,
        evidence: choice.evidence,
        digest,
      });
      signed = readSignedRecord(this.opts.stateDir, this.milestoneKey(terms, m));
      if (!signed) throw new Error(`the signing record of agreement ${id} milestone ${m} is missing after signing`);
    }
    const tag = signed.evidence.slice(2, 12);
    const sigFile = path.join(sigDir, `${base}.${tag}.${this.identity}.sig.json`);
    const att = { agreementId: terms.id, milestone: m, values: signed.values, evidence: signed.evidence };
    if (!fs.existsSync(sigFile)) {
      // The signature just made, or (after a restart between recording and writing) the recorded digest signed
      // again, which is allowed.
      const { signature, digest } =
        fresh?.digest === signed.digest
          ? fresh
          : await signChecked(
              this.c.escrow,
              this.oracle,
              this.c.domain,
              att,
              this.identity,
              recordBeforeSign(this.opts.stateDir, this.c, this.identity, att),
              this.opts.checkDigest,
            );
      writeSignatureFile(sigFile, signatureRecord(this.c, att, digest, this.identity, signature));
      this.log.info({
        agreement: id,
        milestone: m,
        action: "signed",
        evidence: signed.evidence,
        digest,
        file: sigFile,
      });
    }
    const expected = { chainId: this.c.chainId, escrow: this.c.address, ...att, digest: signed.digest };
    const files = listSignatureFiles([sigDir]).filter((f) => path.basename(f).startsWith(`${base}.${tag}.`));
    const collected = await collectSignatures(files, expected, terms.oracles, this.c.provider);
    if (collected.valid.length >= terms.threshold) {
      const packed = packSignatures(terms.oracles, collected.valid);
      return {
        kind: "post",
        id,
        milestone: m,
        args: [terms.id, m, signed.values, signed.evidence, packed.signerMask, packed.signatures],
      };
    }
    this.note(
      id,
      m,
      "info",
      "waiting",
      `the report we signed (evidence ${signed.evidence}) has ${collected.valid.length} of ${terms.threshold} signatures in ${sigDir}`,
    );
    return undefined;
  }

  /** Publishes our report in the shared folder (rewriting whatever stands under our name) with our proposal signature. */
  private publish(shared: string, base: string, own: LoadedReport, terms: AgreementTerms, m: number): void {
    const mine = path.join(shared, `${base}.report.${this.identity}.json`);
    const current = fs.existsSync(mine) ? fs.readFileSync(mine) : undefined;
    if (!current || !current.equals(own.bytes)) {
      writeFileAtomic(mine, own.bytes);
      this.log.info({
        agreement: terms.id.toString(),
        milestone: m,
        action: "proposed",
        file: mine,
        evidence: own.evidence,
      });
    }
    const digest = attestationDigest(this.c.domain, {
      agreementId: terms.id,
      milestone: m,
      values: own.report.values,
      evidence: own.evidence,
    });
    writeProposal(shared, base, this.oracle, this.identity, digest);
  }

  /**
   * The first proposal in oracle order that we may sign (ours always may). Every other file is checked like any
   * proposal, whatever it says about its author: it ranks as oracle i's only with oracle i's proposal signature,
   * a file naming us that is not byte for byte our report is a forgery, and an author with two proposals is
   * ignored. Each refusal is noted once, naming the file and the first difference.
   */
  private async choose(
    shared: string,
    base: string,
    terms: AgreementTerms,
    m: number,
    own: LoadedReport,
  ): Promise<{ values: number[]; evidence: string; proposer: string }> {
    const id = terms.id.toString();
    const ownView = {
      chainId: this.c.chainId,
      escrow: this.c.address,
      terms,
      milestone: m,
      specs: this.opts.specs,
      values: own.report.values,
      tolerances: this.opts.tolerances,
    };
    const byAuthor = new Map<string, { values: number[]; evidence: string }[]>();
    for (const f of fs.readdirSync(shared).sort()) {
      if (!f.startsWith(`${base}.report.`) || !f.endsWith(".json")) continue;
      const refuse = (reason: string): void => this.note(id, m, "warn", "refused", `${f}: ${reason}`);
      let loaded: LoadedReport;
      try {
        loaded = loadReport(path.join(shared, f), "report");
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        refuse(err.message);
        continue;
      }
      if (loaded.bytes.equals(own.bytes)) continue; // ours, counted below
      const r = loaded.report;
      const author = getAddress(r.oracle);
      if (author === this.identity) {
        refuse(
          `it names this oracle (${this.identity}) as its author but is not the report this oracle wrote: a forgery`,
        );
        continue;
      }
      if (!terms.oracles.includes(author)) {
        refuse(`its author ${author} is not an oracle of agreement ${id}`);
        continue;
      }
      const digest = attestationDigest(this.c.domain, {
        agreementId: terms.id,
        milestone: m,
        values: r.values,
        evidence: loaded.evidence,
      });
      if (!(await hasProposal(shared, base, author, digest, this.c.provider))) {
        refuse(`${author} has not signed it as its proposal (no valid ${base}.proposal.${author}.json for it)`);
        continue;
      }
      const diff = firstDifference(r, ownView);
      if (diff !== undefined) {
        refuse(`refusing to co-sign ${author}'s report: ${diff}`);
        continue;
      }
      byAuthor.set(author, [...(byAuthor.get(author) ?? []), { values: r.values, evidence: loaded.evidence }]);
    }
    byAuthor.set(this.identity, [{ values: own.report.values, evidence: own.evidence }]);
    for (const oracle of terms.oracles) {
      const proposals = byAuthor.get(oracle);
      if (!proposals) continue;
      if (proposals.length > 1) {
        this.note(
          id,
          m,
          "warn",
          "refused",
          `${oracle} proposed ${proposals.length} different reports: none of them is signed`,
        );
        continue;
      }
      return { ...proposals[0], proposer: oracle };
    }
    throw new Error("unreachable: our own report always qualifies");
  }
}
