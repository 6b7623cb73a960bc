#!/usr/bin/env python3
"""Check a wireaudit HTML report as Chromium rendered it, and Chromium's network log.

Reads the DOM that `chromium --dump-dom` printed after the page script ran and
the JSON written by `--log-net-log`. Fails (exit 1, one line per problem) when
the timeline lanes, the alert list or the drill-down are missing. It also fails
when the page contains markup that did not come from the report writer (extra
scripts, event handler attributes, elements that fetch), when an expected
hostile name is not shown as text, or when the page itself started any network
request.

Usage: check_dom.py DOM.html NETLOG.json [--alerts] [--text-file FILE]
"""
import argparse
import json
import sys
from html.parser import HTMLParser

# Elements that fetch or embed something. The report writer emits none of them.
FETCHING_TAGS = {"img", "iframe", "object", "embed", "link", "base", "audio", "video",
                 "source", "frame", "form"}


class ReportParser(HTMLParser):
    """Collect the facts the checks need in one pass over the DOM."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts = []
        self.handlers = []
        self.fetching = []
        self.lanes = 0
        self.alerts = 0
        self.alerts_with_evidence = set()
        self.current_alert = None
        self.alert_list = False
        self.local_times = 0
        self.event_rows = 0
        self.in_event_table = False
        self.in_event_body = False
        self.text = []
        self.ready_ms = None
        self.policy = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()

        # Markup the report writer never emits.
        for name, _ in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name))
        if tag in FETCHING_TAGS:
            self.fetching.append(tag)
        if tag == "meta" and (attributes.get("http-equiv") or "").lower() == "refresh":
            self.fetching.append("meta refresh")
        if tag == "script":
            self.scripts.append(attributes)

        # The parts of the page that must be present.
        if tag == "meta" and (attributes.get("http-equiv") or "").lower() == \
                "content-security-policy":
            self.policy = attributes.get("content") or ""
        if tag == "body" and "data-ready-ms" in attributes:
            self.ready_ms = int(attributes["data-ready-ms"])
        if tag == "g" and "lane" in classes:
            self.lanes += 1
        if tag == "div" and attributes.get("id") == "alert-list":
            self.alert_list = True
        if tag == "details" and "alert" in classes:
            self.alerts += 1
            self.current_alert = attributes.get("id")
        if tag == "table" and "ev" in classes and self.current_alert is not None:
            self.alerts_with_evidence.add(self.current_alert)
        if tag == "span" and "local" in classes:
            self.local_times += 1

        # Rows that the page script added to the event table.
        if tag == "table" and attributes.get("id") == "ev-table":
            self.in_event_table = True
        if tag == "tbody" and self.in_event_table:
            self.in_event_body = True
        if tag == "tr" and self.in_event_body:
            self.event_rows += 1

    def handle_endtag(self, tag):
        if tag == "details":
            self.current_alert = None
        if tag == "tbody":
            self.in_event_body = False
        if tag == "table":
            self.in_event_table = False

    def handle_data(self, data):
        self.text.append(data)


def page_requests(netlog_path):
    """Return (URLs the page itself requested, count of browser background requests)."""
    with open(netlog_path, encoding="utf-8") as f:
        log = json.load(f)
    names = {value: key for key, value in log["constants"]["logEventTypes"].items()}
    page, background = [], 0
    for event in log.get("events", []):
        if names.get(event.get("type")) != "URL_REQUEST_START_JOB" or event.get("phase") != 1:
            continue
        params = event.get("params", {})
        # The browser's own update and sign-in checks carry no origin, but page loads carry the
        # page's origin ("null" for a file:// page).
        if params.get("initiator") == "not an origin":
            background += 1
        else:
            page.append(params.get("url"))
    return page, background


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dom")
    parser.add_argument("netlog")
    parser.add_argument("--alerts", action="store_true", help="require alerts with evidence")
    parser.add_argument("--text-file", help="file of texts the page must show, one per line")
    parser.add_argument("--max-ready-ms", type=int,
                        help="maximum milliseconds from navigation start to the end of the page script")
    args = parser.parse_args()
    expected_texts = []
    if args.text_file:
        with open(args.text_file, encoding="utf-8") as f:
            expected_texts = [line.rstrip("\n") for line in f if line.strip()]

    report = ReportParser()
    with open(args.dom, encoding="utf-8", errors="replace") as f:
        report.feed(f.read())
    text = "".join(report.text)
    problems = []
    if report.policy is None or "default-src 'none'" not in report.policy:
        problems.append("no Content-Security-Policy with default-src 'none': %r" % report.policy)
    if report.lanes == 0:
        problems.append("no timeline lane (<g class=\"lane\">)")
    if not report.alert_list:
        problems.append("no alert list (#alert-list)")
    if args.alerts and report.alerts == 0:
        problems.append("no alert entries (<details class=\"alert\">)")
    if args.alerts and not report.alerts_with_evidence:
        problems.append("no alert drill-down with contributing events (table.ev)")
    if args.max_ready_ms is not None and (report.ready_ms or 0) > args.max_ready_ms:
        problems.append("the page took %s ms to get ready (limit %d ms)"
                        % (report.ready_ms, args.max_ready_ms))
    if report.local_times == 0:
        problems.append("no local times: the page script did not run")
    if report.event_rows == 0:
        problems.append("the event table has no rows: the page script did not run")
    data_blocks = [s for s in report.scripts if s.get("type") == "application/json"]
    code = [s for s in report.scripts if s.get("type") != "application/json"]
    if len(data_blocks) != 1 or len(code) != 1 or "nonce" not in code[0]:
        problems.append("expected one JSON data block and one nonce script, found %r"
                        % report.scripts)
    if report.handlers:
        problems.append("event handler attributes in the page: %r" % report.handlers[:5])
    if report.fetching:
        problems.append("elements that fetch in the page: %r" % report.fetching[:5])
    for expected in expected_texts:
        if expected not in text:
            problems.append("text not shown: %r" % expected)
    requests, background = page_requests(args.netlog)
    if requests:
        problems.append("the page requested: %r" % requests[:5])

    print("lanes %d, alerts %d (with evidence %d), event rows %d, local times %d, "
          "ready %s ms, page requests %d, browser background requests %d"
          % (report.lanes, report.alerts, len(report.alerts_with_evidence), report.event_rows,
             report.local_times, report.ready_ms, len(requests), background))
    for problem in problems:
        print("FAIL: " + problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
