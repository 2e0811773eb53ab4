//! The HTML report in a real headless browser (Debian's `chromium`; `scripts/install-browser.sh`).
//! Loads the page from a file with name resolution disabled, and checks: no console messages (errors,
//! CSP violations), no request made by the page (Chromium's net log), the injection payloads are in
//! the DOM as text and injected no element, and a screenshot shows the charts drawn.
//! A control page that does make a request and log an error proves the harness can fail.
//! Without chromium: skipped, unless CI=true (then it fails).

mod report_fixture;

use persona_drift::report::{write_reports, Format, ReportModel};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn chromium() -> Option<PathBuf> {
    let p = std::env::var_os("PERSONA_DRIFT_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or("/usr/bin/chromium".into());
    if p.exists() {
        return Some(p);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "{} not found and CI=true: run scripts/install-browser.sh",
            p.display()
        );
    }
    eprintln!(
        "skip: {} not found (run scripts/install-browser.sh); set CI=true to make this fail",
        p.display()
    );
    None
}

struct Run {
    stdout: String,
    stderr: String,
    netlog: serde_json::Value,
}

fn run_chromium(bin: &Path, page: &Path, extra: &[String], work: &Path) -> Run {
    let profile = tempfile::tempdir_in(work).unwrap();
    let netlog = work.join(format!("netlog-{}.json", extra.len()));
    let _ = std::fs::remove_file(&netlog);
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let mut cmd = Command::new(bin);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--no-pings",
        "--disable-domain-reliability",
        // Network disabled: no host name resolves, so nothing can leave the machine.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .arg(format!("--log-net-log={}", netlog.display()))
    .args(extra)
    .arg(&url)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let child = cmd.spawn().expect("start chromium");
    let pid = child.id();
    // Bounded wait: kill this child (by its pid) if it hangs.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let start = Instant::now();
    let out = loop {
        if let Ok(out) = rx.recv_timeout(Duration::from_millis(200)) {
            break out.expect("chromium output");
        }
        if start.elapsed() > Duration::from_secs(180) {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("chromium did not finish in 180 s");
        }
    };
    let netlog_text = std::fs::read_to_string(&netlog).unwrap_or_default();
    // Chromium may leave the JSON unterminated when it exits; close it.
    let netlog = serde_json::from_str(&netlog_text)
        .or_else(|_| serde_json::from_str(&format!("{}]}}", netlog_text.trim_end().trim_end_matches(','))))
        .unwrap_or(serde_json::Value::Null);
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        netlog,
    }
}

/// URLs requested by the page (not by the browser itself, whose requests have no origin).
fn page_requests(netlog: &serde_json::Value) -> Vec<String> {
    let start_job = netlog["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
        .as_u64()
        .expect("net log constants");
    netlog["events"]
        .as_array()
        .expect("net log events")
        .iter()
        // The begin event carries the URL; the end event has no parameters.
        .filter(|e| e["type"].as_u64() == Some(start_job) && e["params"]["url"].is_string())
        .filter(|e| e["params"]["initiator"].as_str() != Some("not an origin"))
        .map(|e| e["params"]["url"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn console_lines(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Refused to"))
        .map(str::to_string)
        .collect()
}

fn decode_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let mut dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    dec.set_transformations(png::Transformations::EXPAND);
    let mut r = dec.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size()];
    let info = r.next_frame(&mut buf).unwrap();
    let ch = info.color_type.samples();
    let rgb = buf[..info.buffer_size()]
        .chunks(ch)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    (info.width, info.height, rgb)
}

fn count_near(rgb: &[u8], c: (u8, u8, u8), tol: i32) -> usize {
    rgb.chunks(3)
        .filter(|p| {
            (p[0] as i32 - c.0 as i32).abs() <= tol
                && (p[1] as i32 - c.1 as i32).abs() <= tol
                && (p[2] as i32 - c.2 as i32).abs() <= tol
        })
        .count()
}

#[test]
fn html_report_in_headless_chromium() {
    let Some(bin) = chromium() else { return };
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("report");

    // The harness can fail: a page that requests a URL and logs an error is caught.
    let control = work.path().join("control.html");
    std::fs::write(
        &control,
        "<!doctype html><img src=\"http://example.invalid/x.png\"><script>console.error('boom')</script>",
    )
    .unwrap();
    let run = run_chromium(&bin, &control, &["--dump-dom".into()], work.path());
    assert!(
        !page_requests(&run.netlog).is_empty(),
        "harness missed the control page's request"
    );
    assert!(
        !console_lines(&run.stderr).is_empty(),
        "harness missed the control page's console error"
    );

    // The real report, with injection payloads in model text and run data.
    let mut c = report_fixture::comparison(true);
    c.most_changed[1].new_reply.as_mut().unwrap().text = "A".repeat(1 << 20);
    let model = ReportModel::build(&c, &report_fixture::inputs(true)).unwrap();
    write_reports(&model, &out, &[Format::Html]).unwrap();
    let page = out.join("index.html");

    let run = run_chromium(&bin, &page, &["--dump-dom".into()], work.path());
    assert_eq!(
        page_requests(&run.netlog),
        Vec::<String>::new(),
        "the page made requests"
    );
    assert_eq!(
        console_lines(&run.stderr),
        Vec::<String>::new(),
        "console messages"
    );
    let dom = run.stdout.to_ascii_lowercase();
    assert!(
        dom.contains("</html>"),
        "no DOM dumped: {}",
        &run.stderr[run.stderr.len().saturating_sub(2000)..]
    );
    for bad in ["<script", "<img", "<iframe", "<textarea", "<a "] {
        assert!(!dom.contains(bad), "element {bad:?} in the live DOM");
    }
    for text in [
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&lt;img src=x onerror=alert(1)&gt;",
        "&lt;/textarea&gt;",
        "[x](javascript:alert(1))",
    ] {
        assert!(dom.contains(text), "{text} not in the DOM as text");
    }
    assert!(dom.matches("<svg").count() >= 6, "charts missing from the DOM");

    // Screenshot (desktop, tall enough for the charts): charts are drawn in old/new colours.
    let shot = work.path().join("shot.png");
    let run = run_chromium(
        &bin,
        &page,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1000,5000".into(),
            "--hide-scrollbars".into(),
        ],
        work.path(),
    );
    assert_eq!(console_lines(&run.stderr), Vec::<String>::new());
    let (w, h, rgb) = decode_png(&shot);
    assert_eq!((w, h), (1000, 5000));
    let blue = count_near(&rgb, (0x00, 0x72, 0xB2), 14);
    let vermillion = count_near(&rgb, (0xD5, 0x5E, 0x00), 14);
    assert!(blue > 3000, "old-colour pixels: {blue}");
    assert!(vermillion > 3000, "new-colour pixels: {vermillion}");
    // The charts are drawn: many screen rows carry the old and the new colour (lines, polygons, boxes).
    let rows_with = |c: (u8, u8, u8)| {
        (0..h as usize)
            .filter(|&y| count_near(&rgb[y * w as usize * 3..(y + 1) * w as usize * 3], c, 14) >= 4)
            .count()
    };
    let (blue_rows, vermillion_rows) = (rows_with((0x00, 0x72, 0xB2)), rows_with((0xD5, 0x5E, 0x00)));
    eprintln!("old-colour pixels {blue} in {blue_rows} rows; new-colour pixels {vermillion} in {vermillion_rows} rows");
    assert!(
        blue_rows > 150 && vermillion_rows > 300,
        "charts look blank: {blue_rows} / {vermillion_rows} rows"
    );
    if let Ok(keep) = std::env::var("PERSONA_DRIFT_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
}
