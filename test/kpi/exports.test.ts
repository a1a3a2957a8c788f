/** The export parsers (DESIGN.md "Business KPIs"): timestamps, the shared CSV reader, tickets, calls, work items. */
import { expect } from "chai";
import { RuleError, UserError } from "../../scripts/lib/errors";
import { parseCallsCsv } from "../../scripts/lib/kpi/exports/calls";
import { parseItemsCsv } from "../../scripts/lib/kpi/exports/items";
import { parseTicketsCsv } from "../../scripts/lib/kpi/exports/tickets";
import { parseTimestamp } from "../../scripts/lib/kpi/exports/timestamp";

/** The message of the UserError `fn` throws (fails when it throws nothing or something else). */
function userError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(UserError);
    return (err as Error).message;
  }
  expect.fail("expected a UserError");
}

const T_HEADER = "ticket_id,priority,created_at,first_response_at,resolved_at";
const tickets = (...rows: string[]): string => [T_HEADER, ...rows].join("\n") + "\n";
const C_HEADER = "call_id,offered_at,answered_at,abandoned_at,handle_seconds";
const calls = (...rows: string[]): string => [C_HEADER, ...rows].join("\n") + "\n";
const I_HEADER = "item_id,received_at,completed_at,due_at,qa_checked,qa_errors";
const items = (...rows: string[]): string => [I_HEADER, ...rows].join("\n") + "\n";

// 2026-03-01T00:00:00Z
const MAR1 = 1_772_323_200;

describe("KPI exports: timestamps", () => {
  it("reads unix seconds and ISO-8601 with Z or an offset (+02:00 is two hours ahead of UTC)", () => {
    expect(parseTimestamp("0")).to.equal(0);
    expect(parseTimestamp("1772323200")).to.equal(MAR1);
    expect(parseTimestamp("2026-03-01T00:00:00Z")).to.equal(MAR1);
    // 09:30 at +02:00 is 07:30Z: MAR1 + 7.5 * 3600 = MAR1 + 27000
    expect(parseTimestamp("2026-03-01T09:30:00+02:00")).to.equal(MAR1 + 27_000);
    // 09:30 at -05:00 is 14:30Z: MAR1 + 14.5 * 3600 = MAR1 + 52200
    expect(parseTimestamp("2026-03-01T09:30:00-05:00")).to.equal(MAR1 + 52_200);
    // 00:30 at +05:30 is the previous day 19:00Z: MAR1 - 5 * 3600
    expect(parseTimestamp("2026-03-01T00:30:00+05:30")).to.equal(MAR1 - 18_000);
    expect(parseTimestamp("1970-01-01T00:00:00Z")).to.equal(0);
    expect(parseTimestamp("9999-12-31T23:59:59Z")).to.equal(253_402_300_799);
    expect(parseTimestamp("2026-03-01t00:00:00z")).to.equal(MAR1);
  });

  it("floors fractional seconds (drops them)", () => {
    // 09:30:00Z = MAR1 + 34200
    expect(parseTimestamp("2026-03-01T09:30:00.750Z")).to.equal(MAR1 + 34_200);
    expect(parseTimestamp("2026-03-01T09:30:00.999999999Z")).to.equal(MAR1 + 34_200);
    expect(parseTimestamp("2026-03-01T09:30:59.5-05:00")).to.equal(MAR1 + 52_200 + 59);
  });

  it("computes the calendar by hand like Date does, leap years included", () => {
    for (const s of [
      "2028-02-29T00:00:00Z",
      "2000-02-29T12:00:00Z",
      "2024-12-31T23:59:59Z",
      "2100-03-01T00:00:00Z",
      "1999-01-01T00:00:00+01:00",
      "2038-01-19T03:14:08Z",
    ]) {
      expect(parseTimestamp(s), s).to.equal(Date.parse(s) / 1000);
    }
  });

  it("refuses a time without a zone, unparseable ones, dates not in the calendar and times before 1970", () => {
    const why = (s: string): string => {
      try {
        parseTimestamp(s);
      } catch (err) {
        expect(err).to.be.instanceOf(RuleError);
        return (err as Error).message;
      }
      return "accepted";
    };
    expect(why("2026-03-01T09:30:00")).to.equal(
      '"2026-03-01T09:30:00" has no zone (end it with Z or an offset such as +02:00)',
    );
    expect(why("2026-03-01T09:30:00.5")).to.include("has no zone");
    const NOT = "is not a time (unix seconds, or ISO-8601 with a zone such as 2026-03-01T09:30:00Z)";
    for (const s of [
      "",
      "yesterday",
      "2026-03-01",
      "2026-03-01T09:30Z",
      "2026-03-01 09:30:00Z",
      "2026-03-01T09:30:00+020",
      "2026-03-01T09:30:00+2",
      "2026-03-01T09:30:00+02:0",
      "2026-03-01T09:30:00.Z",
      "2026-3-01T09:30:00Z",
      " 1772323200",
      "1772323200.5",
      "+1772323200",
      "2026-03-01T09:30:00ZZ",
    ]) {
      expect(why(s), s).to.equal(`"${s}" ${NOT}`);
    }
    // ISO-8601's other offset forms (Jira writes +0000): the same instant as +02:00.
    expect(parseTimestamp("2026-03-01T09:30:00+0200")).to.equal(parseTimestamp("2026-03-01T09:30:00+02:00"));
    expect(parseTimestamp("2026-03-01T09:30:00+02")).to.equal(parseTimestamp("2026-03-01T09:30:00+02:00"));
    expect(parseTimestamp("2026-03-01T09:30:00.000-0530")).to.equal(parseTimestamp("2026-03-01T15:00:00Z"));
    expect(why("2026-03-01T09:30:00+2400")).to.include("has a zone offset beyond 23:59");
    expect(why("2026-02-30T09:30:00Z")).to.equal('"2026-02-30T09:30:00Z" is not a calendar date');
    expect(why("2026-02-29T09:30:00Z")).to.equal('"2026-02-29T09:30:00Z" is not a calendar date');
    expect(why("2100-02-29T09:30:00Z")).to.include("is not a calendar date");
    expect(why("2026-13-01T09:30:00Z")).to.include("is not a calendar date");
    expect(why("2026-04-31T09:30:00Z")).to.include("is not a calendar date");
    expect(why("2026-03-01T24:00:00Z")).to.include("is not a time of day");
    expect(why("2026-03-01T23:59:60Z")).to.include("is not a time of day");
    expect(why("2026-03-01T09:30:00+24:00")).to.include("has a zone offset beyond 23:59");
    expect(why("1969-12-31T23:59:59Z")).to.equal('"1969-12-31T23:59:59Z" is before 1970');
    expect(why("1970-01-01T00:30:00+01:00")).to.equal('"1970-01-01T00:30:00+01:00" is before 1970');
    expect(why("-1")).to.equal('"-1" is before 1970');
    expect(why("1772323200000")).to.include("is after 9999-12-31T23:59:59Z");
  });
});

describe("KPI exports: tickets", () => {
  it("reads every column, absent optional fields as NaN", () => {
    const t = parseTicketsCsv(
      "ticket_id,priority,created_at,first_response_at,resolved_at,response_due_at,resolution_due_at,csat\n" +
        "T1,P1,2026-03-01T00:00:00Z,1772323260,1772326800,1772326800,1772409600,5\n" +
        "T2,P2,1772323200,,,,,\n",
      "t.csv",
    );
    expect(t.length).to.equal(2);
    expect(t.id).to.deep.equal(["T1", "T2"]);
    expect(t.priority).to.deep.equal(["P1", "P2"]);
    expect([...t.createdAt]).to.deep.equal([MAR1, MAR1]);
    expect([...t.firstResponseAt]).to.deep.equal([MAR1 + 60, NaN]);
    expect([...t.resolvedAt]).to.deep.equal([MAR1 + 3600, NaN]);
    expect([...t.responseDueAt]).to.deep.equal([MAR1 + 3600, NaN]);
    expect([...t.resolutionDueAt]).to.deep.equal([MAR1 + 86_400, NaN]);
    expect([...t.csat]).to.deep.equal([5, NaN]);
  });

  it("takes the columns in any order and ignores other columns; the optional ones may be absent", () => {
    const t = parseTicketsCsv(
      "subject,resolved_at,csat,created_at,ticket_id,assignee,first_response_at,priority\n" +
        "Printer,1772326800,,1772323200,T1,ann,1772323800,P1\n",
      "t.csv",
    );
    expect(t.id).to.deep.equal(["T1"]);
    expect(t.priority).to.deep.equal(["P1"]);
    expect([...t.createdAt, ...t.firstResponseAt, ...t.resolvedAt]).to.deep.equal([MAR1, MAR1 + 600, MAR1 + 3600]);
    expect([...t.responseDueAt, ...t.resolutionDueAt, ...t.csat]).to.deep.equal([NaN, NaN, NaN]);
  });

  it("accepts quoted fields (commas, doubled quotes, line breaks), a BOM, CRLF and trailing empty lines", () => {
    const text =
      "\uFEFFticket_id,subject,priority,created_at,first_response_at,resolved_at\r\n" +
      '"T,1","Printer ""on fire"", again",P1,"2026-03-01T09:30:00Z",,\r\n' +
      '"T2","two\r\nlines",P2,1772323200,,\r\n' +
      "T3,x,P3,1772323200,,x\r\n" +
      "\r\n\r\n";
    // T3's resolved_at is on line 5: the quoted line break in T2 takes a line.
    expect(userError(() => parseTicketsCsv(text, "t.csv"))).to.equal(
      't.csv line 5, column resolved_at: "x" is not a time (unix seconds, or ISO-8601 with a zone such as 2026-03-01T09:30:00Z) in "T3,x,P3,1772323200,,x"',
    );
    const t = parseTicketsCsv(text.replace(",,x\r\n", ",,\r\n"), "t.csv");
    expect(t.id).to.deep.equal(["T,1", "T2", "T3"]);
    expect([...t.createdAt]).to.deep.equal([MAR1 + 34_200, MAR1, MAR1]);
    expect(parseTicketsCsv(`${T_HEADER}`, "t.csv").length).to.equal(0);
    expect(parseTicketsCsv(`${T_HEADER}\nT1,P1,1,,`, "t.csv").length).to.equal(1);
  });

  it("floors fractional seconds and reads ISO offsets in rows", () => {
    const t = parseTicketsCsv(
      tickets("T1,P1,2026-03-01T09:30:00+02:00,2026-03-01T09:30:00-05:00,2026-03-01T14:30:00.999Z"),
      "t.csv",
    );
    expect([...t.createdAt, ...t.firstResponseAt, ...t.resolvedAt]).to.deep.equal([
      MAR1 + 27_000,
      MAR1 + 52_200,
      MAR1 + 52_200,
    ]);
  });

  it("rejects a time without a zone, with the line and the column", () => {
    expect(
      userError(() => parseTicketsCsv(tickets("T1,P1,1772323200,,", "T2,P1,2026-03-01T09:30:00,,"), "t.csv")),
    ).to.equal(
      't.csv line 3, column created_at: "2026-03-01T09:30:00" has no zone (end it with Z or an offset such as +02:00) in "T2,P1,2026-03-01T09:30:00,,"',
    );
  });

  it("rejects an unparseable time, an invalid date and one before 1970", () => {
    expect(userError(() => parseTicketsCsv(tickets("T1,P1,1772323200,soon,"), "t.csv"))).to.equal(
      't.csv line 2, column first_response_at: "soon" is not a time (unix seconds, or ISO-8601 with a zone such as 2026-03-01T09:30:00Z) in "T1,P1,1772323200,soon,"',
    );
    expect(userError(() => parseTicketsCsv(tickets("T1,P1,2026-02-30T00:00:00Z,,"), "t.csv"))).to.equal(
      't.csv line 2, column created_at: "2026-02-30T00:00:00Z" is not a calendar date in "T1,P1,2026-02-30T00:00:00Z,,"',
    );
    expect(userError(() => parseTicketsCsv(tickets("T1,P1,1969-12-31T23:00:00Z,,"), "t.csv"))).to.equal(
      't.csv line 2, column created_at: "1969-12-31T23:00:00Z" is before 1970 in "T1,P1,1969-12-31T23:00:00Z,,"',
    );
  });

  it("rejects an empty required field", () => {
    expect(userError(() => parseTicketsCsv(tickets(",P1,1772323200,,"), "t.csv"))).to.equal(
      't.csv line 2, column ticket_id: empty, but required in ",P1,1772323200,,"',
    );
    expect(userError(() => parseTicketsCsv(tickets("T1,,1772323200,,"), "t.csv"))).to.equal(
      't.csv line 2, column priority: empty, but required in "T1,,1772323200,,"',
    );
    expect(userError(() => parseTicketsCsv(tickets("T1,P1,,,"), "t.csv"))).to.equal(
      't.csv line 2, column created_at: empty, but required in "T1,P1,,,"',
    );
    expect(userError(() => parseTicketsCsv(tickets('T1,P1,"",,'), "t.csv"))).to.equal(
      't.csv line 2, column created_at: empty, but required in "T1,P1,"",,"',
    );
  });

  it("rejects a duplicate id naming both lines (ids are exact: t1 is another ticket)", () => {
    const rows = ["T1,P1,1772323200,,", "t1,P1,1772323200,,", "T2,P1,1772323200,,", "T1,P2,1772323300,,"];
    expect(userError(() => parseTicketsCsv(tickets(...rows), "t.csv"))).to.equal(
      't.csv line 5, column ticket_id: "T1" is already on line 2 in "T1,P2,1772323300,,"',
    );
  });

  it("rejects an event strictly before the ticket's creation; the same second is fine", () => {
    expect(userError(() => parseTicketsCsv(tickets("T1,P1,1772323200,1772323199,"), "t.csv"))).to.equal(
      't.csv line 2, column first_response_at: "1772323199" is before created_at "1772323200" in "T1,P1,1772323200,1772323199,"',
    );
    expect(
      userError(() => parseTicketsCsv(tickets("T1,P1,2026-03-01T09:30:00+02:00,,2026-03-01T07:29:59Z"), "t.csv")),
    ).to.equal(
      't.csv line 2, column resolved_at: "2026-03-01T07:29:59Z" is before created_at "2026-03-01T09:30:00+02:00" in "T1,P1,2026-03-01T09:30:00+02:00,,2026-03-01T07:29:59Z"',
    );
    const t = parseTicketsCsv(tickets("T1,P1,2026-03-01T09:30:00+02:00,1772350200,2026-03-01T07:30:00.1Z"), "t.csv");
    expect([...t.firstResponseAt, ...t.resolvedAt]).to.deep.equal([MAR1 + 27_000, MAR1 + 27_000]);
  });

  it("rejects a csat that is not empty or an integer 1..5", () => {
    const head = `${T_HEADER},csat`;
    for (const bad of ["0", "6", "4.5", "05", "x", " 4"]) {
      expect(
        userError(() => parseTicketsCsv(`${head}\nT1,P1,1772323200,,,${bad}\n`, "t.csv")),
        bad,
      ).to.equal(
        `t.csv line 2, column csat: "${bad}" is not a score 1..5 (or empty: no answer) in "T1,P1,1772323200,,,${bad}"`,
      );
    }
    const t = parseTicketsCsv(`${head}\nT1,P1,1,,,1\nT2,P1,1,,,5\nT3,P1,1,,,\n`, "t.csv");
    expect([...t.csat]).to.deep.equal([1, 5, NaN]);
  });

  it("rejects a missing required column, naming it, and a known column named twice", () => {
    expect(
      userError(() => parseTicketsCsv("ticket_id,priority,created_at,first_response_at\nT1,P1,1,\n", "t.csv")),
    ).to.equal(
      't.csv line 1, column resolved_at: missing from the header (required: ticket_id,priority,created_at,first_response_at,resolved_at) in "ticket_id,priority,created_at,first_response_at"',
    );
    expect(userError(() => parseTicketsCsv(`${T_HEADER},csat,csat\n`, "t.csv"))).to.equal(
      `t.csv line 1, column csat: named twice in the header (columns 6 and 7) in "${T_HEADER},csat,csat"`,
    );
    expect(parseTicketsCsv(`${T_HEADER},note,note\nT1,P1,1,,,a,b\n`, "t.csv").length).to.equal(1);
    expect(userError(() => parseTicketsCsv("", "t.csv"))).to.equal(
      "t.csv: empty file (expected a header with the columns ticket_id,priority,created_at,first_response_at,resolved_at)",
    );
    expect(userError(() => parseTicketsCsv("\uFEFF\r\n\r\n", "t.csv"))).to.include("t.csv: empty file");
  });

  it("rejects a row with the wrong number of fields", () => {
    expect(userError(() => parseTicketsCsv(tickets("T1,P1,1772323200,"), "t.csv"))).to.equal(
      't.csv line 2, column resolved_at: missing: the row has 4 fields, the header 5 in "T1,P1,1772323200,"',
    );
    expect(userError(() => parseTicketsCsv(tickets("T1,P1,1772323200,,,"), "t.csv"))).to.equal(
      't.csv line 2, column 6: more fields than the header: the row has 6, the header 5 in "T1,P1,1772323200,,,"',
    );
    expect(userError(() => parseTicketsCsv(tickets("T1,P1,1772323200,,", "", "T2,P1,1772323200,,"), "t.csv"))).to.equal(
      't.csv line 3, column ticket_id: an empty line (only trailing empty lines are allowed) in ""',
    );
  });

  it("rejects malformed quoting", () => {
    expect(userError(() => parseTicketsCsv(tickets('T"1,P1,1772323200,,'), "t.csv"))).to.equal(
      't.csv line 2, column ticket_id: a quote inside an unquoted field (quote the whole field) in "T"1,P1,1772323200,,"',
    );
    expect(userError(() => parseTicketsCsv(tickets('"T1"x,P1,1772323200,,'), "t.csv"))).to.equal(
      't.csv line 2, column ticket_id: text after the closing quote (quote the whole field) in ""T1"x,P1,1772323200,,"',
    );
    expect(userError(() => parseTicketsCsv(tickets("T1,P1,1772323200,,", 'T2,"P1,1772323200,,'), "t.csv"))).to.equal(
      't.csv line 3, column priority: a quote that is never closed in "T2,"P1,1772323200,,"',
    );
    expect(userError(() => parseTicketsCsv(tickets("T1,P1\r,1772323200,,"), "t.csv"))).to.equal(
      't.csv line 2, column priority: a carriage return inside an unquoted field in "T1,P1\r,1772323200,,"',
    );
  });

  it("keeps fields exactly as written (no trimming)", () => {
    const t = parseTicketsCsv(tickets(" T1,P1 ,1772323200,,"), "t.csv");
    expect(t.id).to.deep.equal([" T1"]);
    expect(t.priority).to.deep.equal(["P1 "]);
    expect(userError(() => parseTicketsCsv(tickets("T1,P1, 1772323200,,"), "t.csv"))).to.include(
      'column created_at: " 1772323200" is not a time',
    );
  });
});

describe("KPI exports: calls", () => {
  it("reads answered, abandoned and queued calls", () => {
    const c = parseCallsCsv(
      calls(
        "C1,2026-03-01T00:00:00Z,2026-03-01T00:00:20Z,,300",
        "C2,1772323200,,1772323203,",
        "C3,1772323200,,,",
        "C4,1772323200,1772323200,,0",
      ),
      "c.csv",
    );
    expect(c.length).to.equal(4);
    expect(c.id).to.deep.equal(["C1", "C2", "C3", "C4"]);
    expect([...c.offeredAt]).to.deep.equal([MAR1, MAR1, MAR1, MAR1]);
    expect([...c.answeredAt]).to.deep.equal([MAR1 + 20, NaN, NaN, MAR1]);
    expect([...c.abandonedAt]).to.deep.equal([NaN, MAR1 + 3, NaN, NaN]);
    expect([...c.handleSeconds]).to.deep.equal([300, NaN, NaN, 0]);
  });

  it("takes the columns in any order, ignoring others", () => {
    const c = parseCallsCsv(
      "queue,handle_seconds,abandoned_at,answered_at,offered_at,call_id\nsales,42,,1772323210,1772323200,C1\n",
      "c.csv",
    );
    expect([...c.handleSeconds, ...c.answeredAt]).to.deep.equal([42, MAR1 + 10]);
  });

  it("rejects a call both answered and abandoned", () => {
    expect(userError(() => parseCallsCsv(calls("C1,1772323200,1772323210,1772323220,30"), "c.csv"))).to.equal(
      'c.csv line 2, column abandoned_at: a call is answered or abandoned, not both (answered_at "1772323210") in "C1,1772323200,1772323210,1772323220,30"',
    );
  });

  it("rejects handle_seconds missing for an answered call or given for one not answered", () => {
    expect(userError(() => parseCallsCsv(calls("C1,1772323200,1772323210,,"), "c.csv"))).to.equal(
      'c.csv line 2, column handle_seconds: empty, but required for an answered call in "C1,1772323200,1772323210,,"',
    );
    expect(userError(() => parseCallsCsv(calls("C1,1772323200,,1772323210,30"), "c.csv"))).to.equal(
      'c.csv line 2, column handle_seconds: "30" given, but the call was not answered (answered_at is empty) in "C1,1772323200,,1772323210,30"',
    );
    expect(userError(() => parseCallsCsv(calls("C1,1772323200,,,0"), "c.csv"))).to.equal(
      'c.csv line 2, column handle_seconds: "0" given, but the call was not answered (answered_at is empty) in "C1,1772323200,,,0"',
    );
    expect(userError(() => parseCallsCsv(calls("C1,1772323200,1772323210,,2.5"), "c.csv"))).to.equal(
      'c.csv line 2, column handle_seconds: "2.5" is not a whole number 0..4294967295 in "C1,1772323200,1772323210,,2.5"',
    );
    expect(userError(() => parseCallsCsv(calls("C1,1772323200,1772323210,,-1"), "c.csv"))).to.include(
      '"-1" is not a whole number',
    );
  });

  it("rejects an answer or abandon before the offer, a duplicate id, an empty offered_at, a missing column", () => {
    expect(userError(() => parseCallsCsv(calls("C1,1772323200,1772323199,,5"), "c.csv"))).to.equal(
      'c.csv line 2, column answered_at: "1772323199" is before offered_at "1772323200" in "C1,1772323200,1772323199,,5"',
    );
    expect(userError(() => parseCallsCsv(calls("C1,1772323200,,1772323199,"), "c.csv"))).to.equal(
      'c.csv line 2, column abandoned_at: "1772323199" is before offered_at "1772323200" in "C1,1772323200,,1772323199,"',
    );
    expect(userError(() => parseCallsCsv(calls("C1,1772323200,,,", "C1,1772323201,,,"), "c.csv"))).to.equal(
      'c.csv line 3, column call_id: "C1" is already on line 2 in "C1,1772323201,,,"',
    );
    expect(userError(() => parseCallsCsv(calls("C1,,,,"), "c.csv"))).to.equal(
      'c.csv line 2, column offered_at: empty, but required in "C1,,,,"',
    );
    expect(userError(() => parseCallsCsv("call_id,offered_at,answered_at,handle_seconds\n", "c.csv"))).to.equal(
      'c.csv line 1, column abandoned_at: missing from the header (required: call_id,offered_at,answered_at,abandoned_at,handle_seconds) in "call_id,offered_at,answered_at,handle_seconds"',
    );
  });
});

describe("KPI exports: work items", () => {
  it("reads items; qa_checked empty or absent is 0, qa_errors only kept for checked items", () => {
    const i = parseItemsCsv(
      items(
        "I1,2026-03-01T00:00:00Z,1772326800,1772409600,1,0",
        "I2,1772323200,,,0,3",
        "I3,1772323200,1772323200,,,",
        "I4,1772323200,1772323300,,1,2",
      ),
      "i.csv",
    );
    expect(i.length).to.equal(4);
    expect([...i.receivedAt]).to.deep.equal([MAR1, MAR1, MAR1, MAR1]);
    expect([...i.completedAt]).to.deep.equal([MAR1 + 3600, NaN, MAR1, MAR1 + 100]);
    expect([...i.dueAt]).to.deep.equal([MAR1 + 86_400, NaN, NaN, NaN]);
    expect([...i.qaChecked]).to.deep.equal([1, 0, 0, 1]);
    expect([...i.qaErrors]).to.deep.equal([0, NaN, NaN, 2]);
    const bare = parseItemsCsv("completed_at,item_id,received_at\n,I1,1772323200\n", "i.csv");
    expect([...bare.qaChecked, ...bare.qaErrors, ...bare.dueAt, ...bare.completedAt]).to.deep.equal([0, NaN, NaN, NaN]);
  });

  it("rejects qa_errors missing when qa_checked is 1 (empty field or no column)", () => {
    expect(userError(() => parseItemsCsv(items("I1,1772323200,1772323300,,1,"), "i.csv"))).to.equal(
      'i.csv line 2, column qa_errors: empty, but required when qa_checked is 1 in "I1,1772323200,1772323300,,1,"',
    );
    expect(
      userError(() =>
        parseItemsCsv("item_id,received_at,completed_at,qa_checked\nI1,1772323200,,0\nI2,1772323200,,1\n", "i.csv"),
      ),
    ).to.equal(
      'i.csv line 3, column qa_errors: required when qa_checked is 1, but the header has no qa_errors column in "I2,1772323200,,1"',
    );
  });

  it("rejects a bad qa_checked or qa_errors, a completion before receipt, a duplicate id", () => {
    expect(userError(() => parseItemsCsv(items("I1,1772323200,,,yes,"), "i.csv"))).to.equal(
      'i.csv line 2, column qa_checked: "yes" must be 1 or 0 (or empty: 0) in "I1,1772323200,,,yes,"',
    );
    expect(userError(() => parseItemsCsv(items("I1,1772323200,,,1,-1"), "i.csv"))).to.equal(
      'i.csv line 2, column qa_errors: "-1" is not a whole number 0..4294967295 in "I1,1772323200,,,1,-1"',
    );
    expect(userError(() => parseItemsCsv(items("I1,1772323200,,,0,x"), "i.csv"))).to.include(
      'column qa_errors: "x" is not a whole number',
    );
    expect(userError(() => parseItemsCsv(items("I1,1772323200,1772323199,,,"), "i.csv"))).to.equal(
      'i.csv line 2, column completed_at: "1772323199" is before received_at "1772323200" in "I1,1772323200,1772323199,,,"',
    );
    expect(userError(() => parseItemsCsv(items("I1,1772323200,,,,", "I1,1772323200,,,,"), "i.csv"))).to.equal(
      'i.csv line 3, column item_id: "I1" is already on line 2 in "I1,1772323200,,,,"',
    );
    expect(userError(() => parseItemsCsv(items("I1,,,,,"), "i.csv"))).to.equal(
      'i.csv line 2, column received_at: empty, but required in "I1,,,,,"',
    );
    expect(userError(() => parseItemsCsv("item_id,completed_at\n", "i.csv"))).to.equal(
      'i.csv line 1, column received_at: missing from the header (required: item_id,received_at,completed_at) in "item_id,completed_at"',
    );
  });
});
