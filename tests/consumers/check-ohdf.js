#!/usr/bin/env node
// Reads a posture OHDF (Heimdall) file with inspecjs, Heimdall's own parser,
// and checks it against the posture JSON report it was rendered from:
//   - inspecjs.convertFile recognizes it as InSpec exec JSON ('1_0_ExecJson'),
//     with no conversion errors;
//   - every rule of the posture report is a control, and there are no others;
//   - the status Heimdall computes for each control (convertFileContextual)
//     is the rule's outcome: pass → Passed, fail → Failed, error → Profile
//     Error, not_applicable → Not Applicable, waived → Not Applicable and
//     waived; an info rule (impact 0) is Not Applicable unless it errored;
//   - a failure whose waiver expired is Failed, not waived, and keeps its
//     waiver data;
//   - the severity and NIST 800-53 tags Heimdall reads are the rule's;
//   - the status counts therefore equal the posture report's.
//
// The expected values come from the posture report rather than from
// arguments so the check follows the fixture when it changes.
//
// Usage: node check-ohdf.js OHDF_FILE POSTURE_JSON_REPORT
// Exits 1 with one line per problem, 2 on bad usage.

'use strict';

const fs = require('fs');
const inspecjs = require('inspecjs');

function usage(msg) {
  console.error(`check-ohdf: ${msg}`);
  console.error('usage: check-ohdf.js OHDF_FILE POSTURE_JSON_REPORT');
  process.exit(2);
}

function read(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    usage(`cannot read ${file}: ${e.message}`);
  }
}

function fail(file, problems) {
  for (const p of problems) console.error(`check-ohdf: ${file}: ${p}`);
  process.exit(1);
}

/// What Heimdall should show for a posture result.
function expectedStatus(rule) {
  if (rule.outcome === 'error') return { status: 'Profile Error', waived: false };
  if (rule.outcome === 'waived') return { status: 'Not Applicable', waived: true };
  if (rule.outcome === 'not_applicable' || rule.severity === 'info') {
    return { status: 'Not Applicable', waived: false };
  }
  if (rule.outcome === 'pass') return { status: 'Passed', waived: false };
  if (rule.outcome === 'fail') return { status: 'Failed', waived: false };
  return { status: `(unknown outcome ${rule.outcome})`, waived: false };
}

function main() {
  const args = process.argv.slice(2);
  if (args.length !== 2) usage('wrong number of arguments');
  const [file, reportFile] = args;
  const text = read(file);
  let report;
  try {
    report = JSON.parse(read(reportFile));
  } catch (e) {
    usage(`${reportFile} is not JSON: ${e.message}`);
  }
  if (!Array.isArray(report.results)) usage(`${reportFile} is not a posture report (no results)`);

  const problems = [];

  // 1. Heimdall's format detection and schema check.
  let converted;
  try {
    converted = inspecjs.convertFile(text, true);
  } catch (e) {
    fail(file, [`inspecjs cannot read it: ${e.message}`]);
  }
  const errors = converted.errors || {};
  if (!converted['1_0_ExecJson']) {
    const detail = Object.entries(errors)
      .map(([format, e]) => `${format}: ${e && e.message ? e.message : e}`)
      .join('; ');
    fail(file, [`not read as InSpec exec JSON (1_0_ExecJson): ${detail || 'no detail'}`]);
  }
  if (Object.keys(errors).length > 0) {
    problems.push(`conversion errors: ${Object.keys(errors).join(', ')}`);
  }
  const exec = converted['1_0_ExecJson'];

  // 2. One control per rule, no others.
  const expectedIds = new Set(report.results.map((r) => r.id));
  const seen = new Map();
  for (const profile of exec.profiles) {
    for (const c of profile.controls) seen.set(c.id, (seen.get(c.id) || 0) + 1);
  }
  for (const id of expectedIds) {
    if (!seen.has(id)) problems.push(`control ${id} is missing`);
  }
  for (const [id, n] of seen) {
    if (!expectedIds.has(id)) problems.push(`control ${id} is not in the posture report`);
    if (n > 1 && report.results.filter((r) => r.id === id).length < n) {
      problems.push(`control ${id} appears ${n} times`);
    }
  }

  // 3. The status Heimdall derives, control by control.
  const ctx = inspecjs.convertFileContextual(text);
  const rules = new Map(report.results.map((r) => [`${r.policy}/${r.id}`, r]));
  const counts = {};
  const wanted = {};
  const bump = (o, k) => (o[k] = (o[k] || 0) + 1);
  for (const r of report.results) {
    const e = expectedStatus(r);
    bump(wanted, e.waived ? 'Waived' : e.status);
  }
  let controls = 0;
  for (const profile of ctx.contains) {
    const policy = profile.data.name;
    for (const c of profile.contains) {
      controls++;
      const id = c.data.id;
      let status;
      try {
        status = c.hdf.status;
      } catch (e) {
        problems.push(`${id}: Heimdall cannot compute a status: ${e.message}`);
        continue;
      }
      const waived = c.hdf.waived;
      bump(counts, waived ? 'Waived' : status);
      const rule = rules.get(`${policy}/${id}`);
      if (!rule) {
        problems.push(`${id}: no rule ${id} of policy ${policy} in the posture report`);
        continue;
      }
      const e = expectedStatus(rule);
      if (status !== e.status || waived !== e.waived) {
        problems.push(
          `${id}: Heimdall shows ${status}${waived ? ' (waived)' : ''}, ` +
            `posture says ${rule.outcome} (expected ${e.status}${e.waived ? ', waived' : ''})`
        );
      }
      if (rule.waiver && rule.waiver.expired) {
        if (!c.data.waiver_data) problems.push(`${id}: its expired waiver is not shown`);
        else if (!/expired/i.test(c.data.waiver_data.message || '')) {
          problems.push(`${id}: the waiver data does not say the waiver expired`);
        }
      }
      const severity = rule.severity === 'info' ? 'none' : rule.severity;
      if (c.hdf.severity !== severity) {
        problems.push(`${id}: Heimdall severity ${c.hdf.severity}, posture severity ${rule.severity}`);
      }
      const nist = (rule.references && rule.references['nist-800-53']) || [];
      const raw = c.hdf.rawNistTags;
      if (nist.length > 0 && JSON.stringify(raw) !== JSON.stringify(nist)) {
        problems.push(`${id}: NIST tags ${JSON.stringify(raw)}, posture references ${JSON.stringify(nist)}`);
      }
      // Heimdall drops the ids it cannot parse, and shows UM-1 (unmapped)
      // when none is left.
      const parsed = c.hdf.parsedNistTags.map((t) => t.rawText).sort();
      if (nist.length > 0 && JSON.stringify(parsed) !== JSON.stringify([...new Set(nist)].sort())) {
        problems.push(`${id}: Heimdall parses its NIST tags ${JSON.stringify(raw)} as ${JSON.stringify(parsed)}`);
      }
    }
  }

  // 4. The totals, as Heimdall's status counts would show them.
  const keys = [...new Set([...Object.keys(wanted), ...Object.keys(counts)])].sort();
  for (const k of keys) {
    if ((wanted[k] || 0) !== (counts[k] || 0)) {
      problems.push(`${k}: Heimdall counts ${counts[k] || 0}, the posture report gives ${wanted[k] || 0}`);
    }
  }

  if (problems.length > 0) fail(file, problems);
  console.log(
    `check-ohdf: ${file}: read as 1_0_ExecJson by inspecjs; ${exec.profiles.length} profile(s), ` +
      `${controls} control(s), one per rule of ${reportFile}; statuses match: ` +
      keys.map((k) => `${k} ${counts[k] || 0}`).join(', ')
  );
}

main();
