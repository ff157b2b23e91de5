#!/usr/bin/env node
// Opens posture's HTML report in Debian's Chromium (through playwright-core)
// and checks that it works as a reader would use it, offline:
//
//   node check-html.js REPORT.html EXPECTED_ROWS
//
// Fails on any console error or warning, any uncaught page error, and any
// request that is not file: or data: (each such request is aborted). Then
// checks the rows, the text filter, the outcome and severity filters, the
// severity sort in both directions, the charts, the page with JavaScript
// off, printing, and a phone-sized window. Prints one line per check and
// exits 1 on the first failure.
"use strict";

const path = require("path");
const { pathToFileURL } = require("url");
const { chromium } = require("playwright-core");

const CHROMIUM = "/usr/bin/chromium";
const TIMEOUT_MS = 60000;
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
// Higher is worse; the page's own ranks are not trusted.
const SEVERITY_RANK = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

function usage() {
  console.error("usage: check-html.js REPORT.html EXPECTED_ROWS");
  process.exit(2);
}

class CheckFailed extends Error {}

function check(ok, what, detail) {
  if (!ok) throw new CheckFailed(`${what}${detail ? `: ${detail}` : ""}`);
  console.log(`ok: ${what}`);
}

// Rows as the reader sees them, in page order.
function visibleRows(page) {
  return page.$$eval("#results tr.result", (rows) =>
    rows
      .filter((r) => r.getClientRects().length > 0)
      .map((r) => ({
        id: r.getAttribute("data-id"),
        outcome: r.getAttribute("data-outcome"),
        severity: r.getAttribute("data-severity"),
      })),
  );
}

async function shownCount(page) {
  return Number((await page.textContent("#shown-count")).trim());
}

function monotonic(ranks, direction) {
  for (let i = 1; i < ranks.length; i++) {
    if (direction * (ranks[i] - ranks[i - 1]) < 0) return false;
  }
  return true;
}

async function main() {
  const [file, expectedArg] = process.argv.slice(2);
  if (!file || expectedArg === undefined) usage();
  const expected = Number(expectedArg);
  if (!Number.isInteger(expected) || expected < 0) usage();
  const url = pathToFileURL(path.resolve(file)).href;

  const problems = { console: [], page: [], network: new Set() };
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.route("**/*", (route) => {
      const u = route.request().url();
      if (u.startsWith("file:") || u.startsWith("data:")) return route.continue();
      problems.network.add(u);
      return route.abort();
    });
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") {
        problems.console.push(`${m.type()}: ${m.text()}`);
      }
    });
    page.on("pageerror", (e) => problems.page.push(String(e)));
    // A request the route did not see (a worker, a prefetch) still counts.
    page.on("request", (r) => {
      const u = r.url();
      if (!u.startsWith("file:") && !u.startsWith("data:")) problems.network.add(u);
    });

    await page.goto(url, { waitUntil: "load" });
    console.log(`loaded ${url}`);

    const rows = await page.$$eval("#results tr.result", (rs) => rs.length);
    check(rows === expected, `#results has ${expected} rows`, `found ${rows}`);
    check(
      (await visibleRows(page)).length === expected && (await shownCount(page)) === expected,
      "every row is shown at first and #shown-count says so",
    );
    check(await page.isVisible("#filter"), "the script shows the filter controls");

    // A failing rule's id, or any rule's when none failed.
    const failing = await page
      .$eval('#results tr.result[data-outcome="fail"], #results tr.result', (r) => r.getAttribute("data-id"))
      .catch(() => null);
    if (failing === null) {
      console.log("skipped: filter and sort checks (no rows)");
    } else {
      // Text filter: the id shows exactly the rows that contain it.
      await page.fill("#filter", failing);
      const wanted = await page.$$eval(
        "#results tr.result",
        (rs, q) =>
          rs
            .filter((r) =>
              [r.getAttribute("data-id"), r.querySelector(".title").textContent, r.getAttribute("data-section")]
                .join(" ")
                .toLowerCase()
                .includes(q),
            )
            .map((r) => r.getAttribute("data-id"))
            .sort(),
        failing.toLowerCase(),
      );
      let shown = await visibleRows(page);
      check(
        JSON.stringify(shown.map((r) => r.id).sort()) === JSON.stringify(wanted) &&
          shown.some((r) => r.id === failing),
        `filter "${failing}" shows exactly the ${wanted.length} matching row(s)`,
        `shown ${JSON.stringify(shown.map((r) => r.id))}`,
      );
      check((await shownCount(page)) === shown.length, "#shown-count agrees with the visible rows");
      await page.fill("#filter", "no rule is called this \u2603");
      check(
        (await visibleRows(page)).length === 0 && (await shownCount(page)) === 0 && (await page.isVisible("#no-match")),
        "a filter matching nothing shows no rows and says so",
      );
      await page.fill("#filter", "");

      // Outcome filter.
      await page.selectOption("#filter-outcome", "fail");
      const fails = await page.$$eval('#results tr.result[data-outcome="fail"]', (rs) => rs.length);
      shown = await visibleRows(page);
      check(
        shown.length === fails && shown.every((r) => r.outcome === "fail"),
        `outcome "fail" shows only the ${fails} failed rows`,
        `shown ${JSON.stringify(shown)}`,
      );
      check((await shownCount(page)) === shown.length, "#shown-count agrees with the visible rows");
      await page.selectOption("#filter-outcome", "");

      // Severity filter.
      await page.selectOption("#filter-severity", "critical");
      const criticals = await page.$$eval('#results tr.result[data-severity="critical"]', (rs) => rs.length);
      shown = await visibleRows(page);
      check(
        shown.length === criticals && shown.every((r) => r.severity === "critical") &&
          (await shownCount(page)) === criticals,
        `severity "critical" shows only the ${criticals} critical rows`,
      );
      await page.selectOption("#filter-severity", "");
      check((await visibleRows(page)).length === expected, "clearing the filters shows every row again");

      // Severity sort, both directions, by rank rather than alphabet.
      const ranks = async () =>
        (await visibleRows(page)).map((r) => {
          if (!(r.severity in SEVERITY_RANK)) throw new CheckFailed(`unknown severity ${r.severity}`);
          return SEVERITY_RANK[r.severity];
        });
      await page.click('#results th[data-sort="severity"]');
      const first = await ranks();
      const down = monotonic(first, -1);
      check(down || monotonic(first, 1), "one click on Severity sorts rows by severity rank", JSON.stringify(first));
      await page.click('#results th[data-sort="severity"]');
      const second = await ranks();
      check(
        monotonic(second, down ? 1 : -1) && (new Set(second).size < 2 || JSON.stringify(first) !== JSON.stringify(second)),
        "a second click sorts them the other way",
        JSON.stringify(second),
      );
      check(second.length === expected, "sorting keeps every row");
    }

    // Charts: inline SVG, labelled, with a size.
    const charts = await page.$$eval("svg.chart", (svgs) =>
      svgs.map((s) => {
        const b = s.getBoundingClientRect();
        return {
          id: s.id,
          width: b.width,
          height: b.height,
          labelled: s.getAttribute("role") === "img" && !!s.querySelector("title") && !!s.getAttribute("aria-labelledby"),
          bars: s.querySelectorAll("rect").length,
        };
      }),
    );
    check(charts.length >= 2, "the page has the two SVG charts", `found ${charts.length}`);
    for (const c of charts) {
      check(c.width > 0 && c.height > 0, `chart ${c.id} has a size (${Math.round(c.width)}x${Math.round(c.height)})`);
      check(c.labelled, `chart ${c.id} has a role and a title`);
      check(expected === 0 || c.bars > 0, `chart ${c.id} draws bars`);
    }

    // Printing opens every detail.
    await page.emulateMedia({ media: "print" });
    check(
      expected === 0 || (await page.locator("#results tr.result .detail").first().isVisible()),
      "printing shows the rules' details",
    );
    await page.emulateMedia({ media: "screen" });

    // A phone-sized window scrolls vertically only.
    await page.setViewportSize({ width: 375, height: 740 });
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    check(overflow <= 1, "a 375 px wide window needs no sideways scrolling", `${overflow} px too wide`);

    // Without JavaScript the page is complete, only static.
    const still = await browser.newContext({ javaScriptEnabled: false });
    await still.route("**/*", (route) => {
      const u = route.request().url();
      if (u.startsWith("file:") || u.startsWith("data:")) return route.continue();
      problems.network.add(u);
      return route.abort();
    });
    const plain = await still.newPage();
    await plain.goto(url, { waitUntil: "load" });
    check(
      (await visibleRows(plain)).length === expected && !(await plain.isVisible("#filter")),
      "with JavaScript off every row is shown and the inert controls are hidden",
    );
    await still.close();

    check(problems.network.size === 0, "no network requests", [...problems.network].join(", "));
    check(problems.page.length === 0, "no page errors", problems.page.join("; "));
    check(problems.console.length === 0, "no console errors or warnings", problems.console.join("; "));
  } finally {
    await browser.close();
  }
}

const timer = setTimeout(() => {
  console.error(`check-html: FAILED: gave up after ${TIMEOUT_MS / 1000} s`);
  process.exit(1);
}, TIMEOUT_MS);
timer.unref();

main().then(
  () => {
    console.log("check-html: all checks passed");
    process.exit(0);
  },
  (e) => {
    console.error(`check-html: FAILED: ${e instanceof CheckFailed ? e.message : e.stack || e}`);
    process.exit(1);
  },
);
