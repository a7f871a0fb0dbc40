//! The self-contained HTML evaluation page: scores, a confusion heat map and a reliability
//! diagram, drawn as inline SVG so the page needs nothing else.

use std::fmt::Write;

use stance_model::Stance;
use stance_model::metrics::Report;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Renders the page.
pub(crate) fn html(title: &str, r: &Report) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title><style>\
         body{{font-family:sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse}}\
         td,th{{border:1px solid #ccc;padding:4px 10px;text-align:right}}th{{background:#f4f4f4}}\
         .row{{display:flex;gap:3em;flex-wrap:wrap}}</style></head><body><h1>Evaluation</h1><p>{t}</p>",
        t = esc(title)
    );
    let _ = write!(
        h,
        "<table><tr><th>rows</th><th>accuracy</th><th>accuracy (+also)</th><th>macro-F1</th><th>ECE</th></tr>\
         <tr><td>{}</td><td>{:.4}</td><td>{:.4}</td><td>{:.4}</td><td>{:.4}</td></tr></table>",
        r.rows, r.accuracy, r.accuracy_with_also, r.macro_f1, r.ece
    );
    h.push_str("<h2>Per label</h2><table><tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>rows</th></tr>");
    for c in &r.per_class {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{:.4}</td><td>{:.4}</td><td>{:.4}</td><td>{}</td></tr>",
            c.label, c.precision, c.recall, c.f1, c.support
        );
    }
    h.push_str("</table><div class=\"row\"><div><h2>Confusion matrix</h2><p>rows: true label, columns: predicted; colour: share of the true label</p>");
    h.push_str(&confusion_svg(r));
    h.push_str("</div><div><h2>Reliability diagram</h2><p>bars: accuracy per confidence bin; diagonal: perfect calibration; numbers: rows per bin</p>");
    h.push_str(&reliability_svg(r));
    h.push_str("</div></div></body></html>\n");
    h
}

fn confusion_svg(r: &Report) -> String {
    let (cell, left, top) = (90.0, 110.0, 30.0);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-size=\"12\">",
        left + 4.0 * cell + 10.0,
        top + 4.0 * cell + 10.0
    );
    for (j, l) in Stance::ALL.iter().enumerate() {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            left + (j as f64 + 0.5) * cell,
            top - 10.0,
            l
        );
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            left - 6.0,
            top + (j as f64 + 0.5) * cell + 4.0,
            l
        );
    }
    for (i, row) in r.confusion.iter().enumerate() {
        let total: u64 = row.iter().sum();
        for (j, &n) in row.iter().enumerate() {
            let share = if total == 0 {
                0.0
            } else {
                n as f64 / total as f64
            };
            let shade = (255.0 - share * 200.0) as u8;
            let _ = write!(
                s,
                "<rect x=\"{x}\" y=\"{y}\" width=\"{cell}\" height=\"{cell}\" fill=\"rgb({shade},{shade},255)\" stroke=\"#fff\"/>\
                 <text x=\"{tx}\" y=\"{ty}\" text-anchor=\"middle\" fill=\"{fg}\">{n}</text>",
                x = left + j as f64 * cell,
                y = top + i as f64 * cell,
                tx = left + (j as f64 + 0.5) * cell,
                ty = top + (i as f64 + 0.5) * cell + 4.0,
                fg = if share > 0.6 { "#fff" } else { "#000" }
            );
        }
    }
    s.push_str("</svg>");
    s
}

fn reliability_svg(r: &Report) -> String {
    let (w, hgt, pad) = (360.0, 360.0, 40.0);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-size=\"11\">",
        w + 2.0 * pad,
        hgt + 2.0 * pad
    );
    let _ = write!(
        s,
        "<rect x=\"{pad}\" y=\"{pad}\" width=\"{w}\" height=\"{hgt}\" fill=\"none\" stroke=\"#999\"/>"
    );
    let _ = write!(
        s,
        "<line x1=\"{pad}\" y1=\"{}\" x2=\"{}\" y2=\"{pad}\" stroke=\"#c33\" stroke-dasharray=\"4\"/>",
        pad + hgt,
        pad + w
    );
    for b in &r.reliability {
        if b.count == 0 {
            continue;
        }
        let x = pad + b.lo * w;
        let bw = (b.hi - b.lo) * w - 2.0;
        let bh = b.accuracy * hgt;
        let _ = write!(
            s,
            "<rect x=\"{x}\" y=\"{}\" width=\"{bw}\" height=\"{bh}\" fill=\"#4a7bd0\" opacity=\"0.8\"/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            pad + hgt - bh,
            x + bw / 2.0,
            pad + hgt - bh - 3.0,
            b.count
        );
    }
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">confidence</text>",
        pad + w / 2.0,
        pad + hgt + 28.0
    );
    let _ = write!(
        s,
        "<text x=\"12\" y=\"{}\" transform=\"rotate(-90 12 {})\" text-anchor=\"middle\">accuracy</text>",
        pad + hgt / 2.0,
        pad + hgt / 2.0
    );
    for k in 0..=4 {
        let v = k as f64 / 4.0;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{v}</text>",
            pad + v * w,
            pad + hgt + 14.0
        );
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{v}</text>",
            pad - 4.0,
            pad + hgt - v * hgt + 4.0
        );
    }
    s.push_str("</svg>");
    s
}
