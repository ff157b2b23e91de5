#!/usr/bin/env bash
# SCAP content for timing OpenSCAP beside posture on a Debian 12 host when
# no Debian 12 data stream is installed (Debian 12's own ssg-debian package
# ships content for Debian 10 and 11 only).
#
# Writes, under ${OUT:-/var/tmp/posture-bench}:
#   ssg-debian11-on-12-ds.xml      the Debian 11 data stream with one change:
#                                  its "Debian 11 is installed" check also
#                                  accepts 12, so oscap evaluates the rules
#                                  instead of marking every one not applicable;
#   ssg-all-rules-tailoring.xml    a tailoring whose profile
#                                  `xccdf_posture.bench_profile_all` selects
#                                  every rule of that content (its ANSSI
#                                  profiles hold 50 rules or fewer).
#
# Then: OSCAP_CONTENT=.../ssg-debian11-on-12-ds.xml \
#       OSCAP_TAILORING=.../ssg-all-rules-tailoring.xml \
#       OSCAP_PROFILE=xccdf_posture.bench_profile_all bench/compare.sh
set -euo pipefail
src=${1:-/usr/share/xml/scap/ssg/content/ssg-debian11-ds.xml}
out=${OUT:-/var/tmp/posture-bench}
mkdir -p "$out"
sed 's/\^11\.\[0-9\]+\$/^1[12].[0-9]+$/' "$src" >"$out/ssg-debian11-on-12-ds.xml"
if ! grep -q '\^1\[12\]' "$out/ssg-debian11-on-12-ds.xml"; then
    echo "oscap-content.sh: $src has no Debian 11 version check to widen" >&2
    exit 1
fi
{
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo '<xccdf:Tailoring xmlns:xccdf="http://checklists.nist.gov/xccdf/1.2" id="xccdf_posture.bench_tailoring_all">'
    echo '  <xccdf:version time="2026-01-01T00:00:00">1</xccdf:version>'
    echo '  <xccdf:Profile id="xccdf_posture.bench_profile_all">'
    echo '    <xccdf:title>Every rule of the content</xccdf:title>'
    grep -o '<xccdf-1.2:Rule [^>]*id="xccdf_org\.ssgproject\.content_rule_[^"]*"' "$out/ssg-debian11-on-12-ds.xml" |
        grep -o 'xccdf_org\.ssgproject\.content_rule_[^"]*' | sort -u |
        sed 's/.*/    <xccdf:select idref="&" selected="true"\/>/'
    echo '  </xccdf:Profile>'
    echo '</xccdf:Tailoring>'
} >"$out/ssg-all-rules-tailoring.xml"
echo "$out/ssg-debian11-on-12-ds.xml"
echo "$out/ssg-all-rules-tailoring.xml ($(grep -c '<xccdf:select' "$out/ssg-all-rules-tailoring.xml") rules)"
