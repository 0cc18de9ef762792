#!/usr/bin/env python3
"""report-normalize.py FORMAT FILE: a report of a run with what may differ between two runs of
the same jobs taken out, so that a merged sharded run and an unsharded run compare equal
(tests/vm/shard-merge.sh). FORMAT: json, markdown, junit, html or compare (compare's markdown).

What may differ, and so goes (the merged run's documented differences, harness/results/merge.h):
  - run ids (SCENARIO-YYYYMMDD-HHMMSS) and run directories;
  - times: timestamps, durations and every figure derived from them (medians, charts, and so
    the HTML report's "Time per case" section, whose slowest cases are whichever were slowest);
  - the command line (each shard's own `run --shard K/N ...`);
  - the host: controller host names and libvirt URIs (each shard its own), and so the "Hosts"
    section (cases per libvirt host), which a run on one host does not have;
  - order: a run records cases as they end, so every list and table row is compared as a set,
    and the "first" case of a signature (the first in file order) is any of its cases, with its
    console excerpt (the guest's clock and addresses differ from run to run anyway).
Everything else (verdicts, titles, details, expectations, counts, signatures, classes) stays."""
import json
import re
import sys
import xml.etree.ElementTree as ET

DROP_KEYS = {"started", "finished", "run_id", "dir", "run_dir", "host", "hosts", "uri", "argv",
             "time_ms", "timings", "first", "case", "input", "console", "replay"}
TIME = [
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?"), "<when>"),
    (re.compile(r"\b[\w.-]+-\d{8}-\d{6}\b"), "<run-id>"),
    (re.compile(r"qemu(\+\w+)?://[^\s\"'<>|`)]*"), "<uri>"),
    (re.compile(r"\d+(\.\d+)?\s?(ms|s|min|h)\b"), "<time>"),
    (re.compile(r"(faultline replay )\S+"), r"\1<case>"),
    # guest console excerpts: the guest's clock and (randomised) kernel addresses
    (re.compile(r"\[\s*\d+\.\d+\]"), "[<t>]"),
    (re.compile(r"\b[0-9a-f]{8,16}\b"), "<hex>"),
]


def text(s):
    for rx, sub in TIME:
        s = rx.sub(sub, s)
    # "1 min 5 s" and "59 s" are both a time
    return re.sub(r"<time>(\s*<time>)+", "<time>", s)


def walk(v):
    if isinstance(v, dict):
        return {k: walk(x) for k, x in v.items() if k not in DROP_KEYS and not k.endswith("_ms")}
    if isinstance(v, list):
        return sorted((walk(x) for x in v), key=lambda x: json.dumps(x, sort_keys=True))
    if isinstance(v, str):
        return text(v)
    return v


def drop_hosts_markdown(s):
    return re.sub(r"(?ms)^## Hosts\n.*?(?=^## |\Z)", "", s)


def lines(s):
    return "\n".join(sorted(text(l) for l in s.splitlines() if l.strip())) + "\n"


def junit(path):
    root = ET.parse(path).getroot()

    def canon(e):
        attrs = {k: text(v) for k, v in e.attrib.items() if k not in ("time", "timestamp", "hostname")}
        body = text((e.text or "").strip())
        kids = sorted(canon(c) for c in e)
        return e.tag + json.dumps(attrs, sort_keys=True) + body + "[" + ",".join(kids) + "]"

    return canon(root) + "\n"


def html(s):
    s = re.sub(r"(?s)<section id=\"hosts\".*?</section>", "", s)
    s = re.sub(r"(?s)<a href=\"#hosts\">.*?</a>", "", s)
    s = re.sub(r"(?s)<section id=\"times\".*?</section>", "", s)
    s = re.sub(r"(?s)<a href=\"#times\">.*?</a>", "", s)
    s = re.sub(r"(?s)<dt>command</dt><dd[^>]*>.*?</dd>", "", s)
    s = re.sub(r"(?s)<(svg|script|style)\b.*?</\1>", "", s)
    # a signature's first occurrence: its console excerpt (guest clock, addresses) and its case,
    # input and hash, which depend on which of its cases ended first
    s = re.sub(r"(?s)<details>.*?</details>", "", s)
    s = re.sub(r"(?s)<td class=\"wrap\">[^<]* on [^<]*<br><a href=.*?</td>", "<td>first</td>", s)
    s = re.sub(r"(?s)<[^>]*>", "\n", s)
    s = s.replace("&nbsp;", " ")
    return lines(s)


def main():
    fmt, path = sys.argv[1], sys.argv[2]
    data = open(path, encoding="utf-8").read()
    if fmt == "json":
        out = json.dumps(walk(json.loads(data)), indent=1, sort_keys=True) + "\n"
    elif fmt in ("markdown", "compare"):
        out = lines(drop_hosts_markdown(data))
    elif fmt == "junit":
        out = junit(path)
    elif fmt == "html":
        out = html(data)
    else:
        sys.exit("report-normalize.py: unknown format " + fmt)
    sys.stdout.write(out)


main()
