import { describe, expect, it } from "vitest";
import { parseRetryAfter, retryAfterFromError } from "../src/index.js";

const now = Date.UTC(2026, 10, 23, 10, 0, 0); // Mon, 23 Nov 2026 10:00:00 GMT

describe("parseRetryAfter", () => {
  it("reads delta-seconds given as a number", () => {
    expect(parseRetryAfter(120, now)).toBe(120_000);
    expect(parseRetryAfter(0, now)).toBe(0);
    expect(Object.is(parseRetryAfter(-0, now), 0)).toBe(true);
    expect(parseRetryAfter(1.5, now)).toBe(1_500);
  });

  it("reads delta-seconds given as a string, around optional whitespace", () => {
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter("0", now)).toBe(0);
    expect(parseRetryAfter("007", now)).toBe(7_000);
    expect(parseRetryAfter(" 5\t", now)).toBe(5_000);
  });

  it("reads an IMF-fixdate relative to now", () => {
    expect(parseRetryAfter("Mon, 23 Nov 2026 10:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Tue, 24 Nov 2026 10:00:00 GMT", now)).toBe(86_400_000);
    expect(parseRetryAfter("Mon, 23 Nov 2026 10:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", Date.UTC(2015, 9, 21, 7, 27))).toBe(
      60_000,
    );
  });

  it("gives 0 for a date in the past", () => {
    expect(parseRetryAfter("Sun, 22 Nov 2026 10:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now)).toBe(0);
  });

  it("reads the obsolete RFC 850 and asctime forms as GMT", () => {
    expect(parseRetryAfter("Monday, 23-Nov-26 10:01:00 GMT", now)).toBe(60_000);
    expect(parseRetryAfter("Mon Nov 23 10:02:00 2026", now)).toBe(120_000);
    expect(parseRetryAfter("Tue Dec  1 10:00:00 2026", now)).toBe(8 * 86_400_000);
  });

  it("takes an RFC 850 two-digit year as the nearest one not more than 50 years ahead", () => {
    const base = Date.UTC(1994, 10, 6, 8, 49, 37);
    expect(parseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", base - 1_000)).toBe(1_000);
    // Seen from 2026, "94" is 1994 (2094 is more than 50 years ahead): in the past.
    expect(parseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", now)).toBe(0);
    // Seen from 2026, "27" is 2027.
    expect(parseRetryAfter("Tuesday, 23-Nov-27 10:00:00 GMT", now)).toBe(365 * 86_400_000);
    // Seen from 2060, "94" is 2094 rather than 1994.
    const in2060 = Date.UTC(2060, 0, 1);
    expect(parseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", in2060)).toBe(
      Date.UTC(2094, 10, 6, 8, 49, 37) - in2060,
    );
  });

  it("gives undefined for a date when now is not a finite time", () => {
    expect(parseRetryAfter("Mon, 23 Nov 2026 10:00:30 GMT", Number.NaN)).toBeUndefined();
    expect(parseRetryAfter("Monday, 23-Nov-26 10:01:00 GMT", Number.NaN)).toBeUndefined();
    expect(parseRetryAfter("Mon, 23 Nov 2026 10:00:30 GMT", -Infinity)).toBeUndefined();
    expect(parseRetryAfter("5", Number.NaN)).toBe(5_000); // seconds do not depend on now
  });

  it("refuses anything that is neither delta-seconds nor an HTTP-date", () => {
    const garbage: unknown[] = [
      "",
      "   ",
      "12abc",
      "abc12",
      "-5",
      "+5",
      "1.5",
      "1e3",
      "0x10",
      "soon",
      "9".repeat(400), // overflows to Infinity
      -1,
      Number.NaN,
      Infinity,
      1e308,
      null,
      undefined,
      true,
      {},
      [5],
      5n,
      "2026-11-23T10:00:30Z", // ISO 8601 is not an HTTP-date
      "23 Nov 2026 10:00:30 GMT", // no day name
      "Mon, 23 Nov 2026 10:00:30", // no GMT
      "Mon, 23 Nov 2026 10:00:30 PST",
      "Mon, 23 Nov 2026 10:00:30 GMT junk",
      "Mon, 31 Feb 2026 10:00:30 GMT", // no such day
      "Mon, 00 Nov 2026 10:00:30 GMT",
      "Mon, 23 Nov 2026 24:00:00 GMT",
      "Mon, 23 Nov 2026 10:60:00 GMT",
      "Mon, 23 Foo 2026 10:00:30 GMT",
      "Xyz, 23 Nov 2026 10:00:30 GMT",
    ];
    for (const value of garbage) {
      expect(parseRetryAfter(value, now), String(value)).toBeUndefined();
    }
  });
});

describe("retryAfterFromError", () => {
  const at = (seconds: number) => new Date(now + seconds * 1_000).toUTCString();

  it("takes error.retryAfter as ms when it is a finite number >= 0", () => {
    expect(retryAfterFromError(Object.assign(new Error("x"), { retryAfter: 1_500 }), now)).toBe(
      1_500,
    );
    expect(retryAfterFromError({ retryAfter: 0 }, now)).toBe(0);
  });

  it("ignores an unusable error.retryAfter and falls back to the headers", () => {
    for (const retryAfter of [-1, Number.NaN, Infinity, "1500", null]) {
      expect(retryAfterFromError({ retryAfter }, now)).toBeUndefined();
      expect(retryAfterFromError({ retryAfter, headers: { "retry-after": "4" } }, now)).toBe(4_000);
    }
  });

  it("prefers error.retryAfter to any header", () => {
    expect(retryAfterFromError({ retryAfter: 10, headers: { "retry-after": "4" } }, now)).toBe(10);
  });

  it("reads a Headers instance on error.headers, error.response.headers and error.res.headers", () => {
    expect(retryAfterFromError({ headers: new Headers({ "Retry-After": "7" }) }, now)).toBe(7_000);
    expect(
      retryAfterFromError({ response: { headers: new Headers({ "retry-after": at(9) }) } }, now),
    ).toBe(9_000);
    expect(
      retryAfterFromError({ res: { headers: new Headers([["Retry-After", "2"]]) } }, now),
    ).toBe(2_000);
  });

  it("reads a fetch Response thrown or attached as-is", () => {
    const response = new Response(null, { status: 503, headers: { "Retry-After": "30" } });
    expect(retryAfterFromError(response, now)).toBe(30_000);
    expect(retryAfterFromError(Object.assign(new Error("503"), { response }), now)).toBe(30_000);
  });

  it("reads any object with get()", () => {
    const asked: string[] = [];
    const headers = {
      get(name: string) {
        asked.push(name);
        return name === "retry-after" ? "6" : null;
      },
    };
    expect(retryAfterFromError({ headers }, now)).toBe(6_000);
    expect(asked).toEqual(["retry-after"]);
  });

  it("reads plain header objects under retry-after or Retry-After", () => {
    expect(retryAfterFromError({ headers: { "retry-after": "3" } }, now)).toBe(3_000);
    expect(retryAfterFromError({ headers: { "Retry-After": 3 } }, now)).toBe(3_000);
    expect(retryAfterFromError({ response: { headers: { "retry-after": at(5) } } }, now)).toBe(
      5_000,
    );
    expect(retryAfterFromError({ res: { headers: { "Retry-After": "8" } } }, now)).toBe(8_000);
  });

  it("looks in order: error.headers, error.response.headers, error.res.headers", () => {
    const error = {
      headers: { "retry-after": "1" },
      response: { headers: { "retry-after": "2" } },
      res: { headers: { "retry-after": "3" } },
    };
    expect(retryAfterFromError(error, now)).toBe(1_000);
    expect(retryAfterFromError({ ...error, headers: {} }, now)).toBe(2_000);
    expect(retryAfterFromError({ res: error.res, response: {} }, now)).toBe(3_000);
  });

  it("skips a place whose value is unparseable", () => {
    const error = {
      headers: { "retry-after": "later" },
      response: { headers: new Headers({ "retry-after": "4" }) },
    };
    expect(retryAfterFromError(error, now)).toBe(4_000);
  });

  it("says nothing when there is nothing to read", () => {
    for (const error of [
      undefined,
      null,
      "plain string",
      42,
      new Error("x"),
      { headers: new Headers() },
      { headers: {} },
      { headers: "retry-after: 5" },
      { response: null },
      { res: { headers: null } },
      { headers: { "retry-after": "soon" } },
    ]) {
      expect(retryAfterFromError(error, now)).toBeUndefined();
    }
  });

  it("never throws, even when getters do", () => {
    const boom = (): never => {
      throw new Error("getter");
    };
    const hostile = Object.defineProperties(
      {},
      {
        retryAfter: { get: boom },
        headers: { get: boom },
        response: { get: boom },
        res: { get: boom },
      },
    );
    expect(retryAfterFromError(hostile, now)).toBeUndefined();
    expect(retryAfterFromError({ headers: { get: boom } }, now)).toBeUndefined();
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    expect(retryAfterFromError(revoked.proxy, now)).toBeUndefined();
  });

  it("still finds a later place when an earlier getter throws", () => {
    const error = Object.defineProperty({ res: { headers: { "retry-after": "5" } } }, "headers", {
      get(): never {
        throw new Error("getter");
      },
    });
    expect(retryAfterFromError(error, now)).toBe(5_000);
  });
});
