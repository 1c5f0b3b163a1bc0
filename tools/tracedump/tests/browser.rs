//! The HTML report in a real browser: headless Chromium (Debian's `chromium`, which
//! `.ci/run` installs) opens the page of programs with side traces and links at
//! `#selftest`, where the page clicks its first trace and writes what it drew. The page
//! must have no script errors, one node per trace and one edge per side trace, link and
//! loop in the log, and show the clicked trace's IR beside the bytecode it was recorded
//! for.
//!
//! Without Chromium the test says it was skipped and why, unless
//! `SPUR_REQUIRE_BROWSER` is set (as `.ci/run` sets it): then it fails.

mod common;

use common::{log_of, tracedump};
use serde_json::Value;
use spur::Val;
use std::path::PathBuf;
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| ["chromium", "chromium-browser", "google-chrome"].map(|n| d.join(n)))
        .find(|p| p.is_file())
}

/// Traces, and the edges the page must draw: a side trace's from its parent, a link's
/// to the trace it jumps to, a loop's back to itself.
fn expected(log: &str) -> (usize, usize) {
    let traces: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["event"] == "trace")
        .collect();
    let known = |n: &Value| traces.iter().any(|t| t["trace"] == *n);
    let mut edges = 0;
    for t in &traces {
        edges += usize::from(!t["parent"].is_null() && known(&t["parent"]));
        let link = t["link"].as_str().unwrap();
        edges += usize::from(link == "-> loop");
        if let Some(n) = link.strip_prefix("-> ").and_then(|n| n.parse::<u64>().ok()) {
            edges += usize::from(known(&Value::from(n)));
        }
    }
    (traces.len(), edges)
}

#[test]
fn the_page_draws_every_trace_and_edge_and_shows_ir_on_click() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("SPUR_REQUIRE_BROWSER").is_none(),
            "SPUR_REQUIRE_BROWSER is set but no chromium is on PATH"
        );
        eprintln!("skipped: no chromium on PATH; `.ci/run` installs Debian's chromium");
        return;
    };
    let tmp = std::env::temp_dir().join(format!("tracedump-browser-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let programs: &[(&str, &[Val])] = &[
        ("side_trace", &[Val::I32(1000)]),
        ("loop_nest", &[Val::I32(300)]),
        ("switch", &[Val::I32(1000)]),
    ];
    for &(name, args) in programs {
        let log = log_of(name, args);
        let (nodes, edges) = expected(&log);
        assert!(nodes >= 2 && edges >= 2, "{name}: side traces and links");
        let (log_file, page) = (
            tmp.join(format!("{name}.jsonl")),
            tmp.join(format!("{name}.html")),
        );
        std::fs::write(&log_file, &log).unwrap();
        let html = page.to_str().unwrap();
        let (out, err, code) = tracedump(&["show", "--html", html, log_file.to_str().unwrap()]);
        assert_eq!((out.as_str(), err.as_str(), code), ("", "", 0), "{name}");
        let page_text = std::fs::read_to_string(&page).unwrap();
        // Self-contained: nothing for the browser to fetch.
        assert!(
            !page_text.contains("src=\"") && !page_text.contains("href=\""),
            "{name}"
        );
        let o = Command::new(&browser)
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
            .arg(format!("--user-data-dir={}", tmp.join("profile").display()))
            .arg(format!("file://{html}#selftest"))
            .output()
            .unwrap();
        let dom = String::from_utf8_lossy(&o.stdout);
        let result = dom
            .split("<pre id=\"selftest\">")
            .nth(1)
            .and_then(|r| r.split("</pre>").next())
            .unwrap_or_else(|| panic!("{name}: no self-test result in the page:\n{dom}"));
        assert_eq!(
            result,
            format!("nodes={nodes} edges={edges} ir=shown grouped=yes errors=0"),
            "{name}"
        );
    }
    std::fs::remove_dir_all(&tmp).unwrap();
}
