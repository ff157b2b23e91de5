#!/usr/bin/env node
// Reads a posture JUnit report the way CI test-report views do (junit2json,
// on xml2js) and checks what they rely on:
//   - the root is <testsuites> with tests/failures/errors/skipped counts,
//     and they equal the expected ones;
//   - each suite's counts, and the root's, agree with the test cases they
//     hold (readers trust either, so both must be right);
//   - every test case has a name and a classname.
//
// Usage: node check-junit.js FILE EXPECTED_TESTS EXPECTED_FAILURES EXPECTED_SKIPPED [EXPECTED_ERRORS]
// Exits 1 with one line per problem, 2 on bad usage.

'use strict';

const fs = require('fs');

function usage(msg) {
  console.error(`check-junit: ${msg}`);
  console.error(
    'usage: check-junit.js FILE EXPECTED_TESTS EXPECTED_FAILURES EXPECTED_SKIPPED [EXPECTED_ERRORS]'
  );
  process.exit(2);
}

function count(arg, what) {
  if (arg === undefined) return undefined;
  if (!/^\d+$/.test(arg)) usage(`${what} must be a whole number, not ${JSON.stringify(arg)}`);
  return Number(arg);
}

async function main() {
  const [file, ...rest] = process.argv.slice(2);
  if (!file || rest.length < 3 || rest.length > 4) usage('wrong number of arguments');
  const expected = {
    tests: count(rest[0], 'EXPECTED_TESTS'),
    failures: count(rest[1], 'EXPECTED_FAILURES'),
    skipped: count(rest[2], 'EXPECTED_SKIPPED'),
    errors: count(rest[3], 'EXPECTED_ERRORS'),
  };

  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    usage(`cannot read ${file}: ${e.message}`);
  }
  if (!/^\s*(<\?xml[^>]*\?>\s*)?<testsuites[\s>]/.test(text)) {
    console.error(`check-junit: ${file}: the root element is not <testsuites>`);
    process.exit(1);
  }

  const { parse } = await import('junit2json');
  let root;
  try {
    root = await parse(text);
  } catch (e) {
    console.error(`check-junit: ${file}: not well-formed XML: ${e.message}`);
    process.exit(1);
  }
  const problems = [];
  if (!root || typeof root !== 'object') {
    console.error(`check-junit: ${file}: no test suites found`);
    process.exit(1);
  }

  const suites = root.testsuite || [];
  if (suites.length === 0) problems.push('no <testsuite> elements');

  const kinds = ['tests', 'failures', 'errors', 'skipped'];
  const total = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  let cases = 0;
  for (const [i, suite] of suites.entries()) {
    const where = `testsuite ${JSON.stringify(suite.name ?? `#${i + 1}`)}`;
    if (!suite.name) problems.push(`${where}: no name`);
    const seen = { tests: 0, failures: 0, errors: 0, skipped: 0 };
    for (const [j, tc] of (suite.testcase || []).entries()) {
      cases++;
      seen.tests++;
      if (tc.failure) seen.failures++;
      if (tc.error) seen.errors++;
      if (tc.skipped) seen.skipped++;
      const label = tc.name ? JSON.stringify(tc.name) : `#${j + 1}`;
      if (typeof tc.name !== 'string' || tc.name.trim() === '') {
        problems.push(`${where}: test case ${label} has no name`);
      }
      if (typeof tc.classname !== 'string' || tc.classname.trim() === '') {
        problems.push(`${where}: test case ${label} has no classname`);
      }
      const outcomes = ['failure', 'error', 'skipped'].filter((k) => tc[k]);
      if (outcomes.length > 1) {
        problems.push(`${where}: test case ${label} is both ${outcomes.join(' and ')}`);
      }
    }
    for (const k of kinds) {
      if (suite[k] !== seen[k]) {
        problems.push(`${where}: ${k}="${suite[k]}" but its test cases give ${seen[k]}`);
      }
      total[k] += seen[k];
    }
  }

  for (const k of kinds) {
    if (typeof root[k] !== 'number') {
      problems.push(`<testsuites> has no numeric ${k} attribute`);
    } else if (root[k] !== total[k]) {
      problems.push(`<testsuites> ${k}="${root[k]}" but the test cases give ${total[k]}`);
    }
    if (expected[k] !== undefined && total[k] !== expected[k]) {
      problems.push(`${k}: expected ${expected[k]}, found ${total[k]}`);
    }
  }

  if (problems.length > 0) {
    for (const p of problems) console.error(`check-junit: ${file}: ${p}`);
    process.exit(1);
  }
  console.log(
    `check-junit: ${file}: ${suites.length} suite(s), ${cases} test case(s), all named with a classname; ` +
      kinds.map((k) => `${k} ${total[k]}`).join(', ') +
      ' as expected, and the suite and root counts agree'
  );
}

main().catch((e) => {
  console.error(`check-junit: ${e.stack || e}`);
  process.exit(1);
});
