//! The rule implementations behind `check`: secret redaction, single-environment and promotion-order rules.

use super::*;

/// (file -> lines) that produce a value of a Secret in the diff.
pub(super) fn secret_source_lines(
    report: &DiffReport,
) -> BTreeMap<&str, std::collections::BTreeSet<u32>> {
    let mut out: BTreeMap<&str, std::collections::BTreeSet<u32>> = BTreeMap::new();
    for o in &report.overlays {
        for c in o.changes.iter().filter(|c| c.secret) {
            let srcs = c
                .fields
                .iter()
                .filter_map(|f| f.source.as_ref())
                .chain(c.origin.as_ref());
            for s in srcs {
                out.entry(s.path.as_str()).or_default().insert(s.line);
            }
        }
    }
    out
}

/// Replace the value part of the given (1-based) lines by `<redacted>`,
/// keeping the indentation and the key.
pub(super) fn redact_lines(text: &str, lines: &std::collections::BTreeSet<u32>) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if !lines.contains(&(i as u32 + 1)) {
            out.push_str(line);
            continue;
        }
        let body = line.trim_end_matches(['\n', '\r']);
        let keep = match (body.find(": "), body.find('=')) {
            (Some(c), Some(e)) if e < c => e + 1,
            (Some(c), _) => c + 2,
            (None, Some(e)) => e + 1,
            (None, None) => body.len() - body.trim_start().len(),
        };
        out.push_str(&body[..keep]);
        out.push_str("<redacted>");
        out.push_str(&line[body.len()..]);
    }
    out
}

pub(super) fn rule_rank(rule: &str) -> usize {
    RULES
        .iter()
        .position(|r| *r == rule)
        .map(|i| i + 1)
        .unwrap_or(0)
}

/// The first line where two texts differ, and a short description of the edit.
pub(super) fn first_changed_line(base: Option<&str>, head: Option<&str>) -> (u32, String) {
    match (base, head) {
        (None, Some(_)) => (1, "added".to_string()),
        (Some(_), None) => (1, "deleted".to_string()),
        (Some(b), Some(h)) => {
            let bl: Vec<&str> = b.lines().collect();
            let hl: Vec<&str> = h.lines().collect();
            let i = (0..bl.len().max(hl.len()))
                .find(|&i| bl.get(i) != hl.get(i))
                .unwrap_or(0);
            let what = match (bl.get(i), hl.get(i)) {
                (Some(o), Some(n)) => format!("line {}: '{}' -> '{}'", i + 1, o.trim(), n.trim()),
                (None, Some(n)) => format!("line {} added: '{}'", i + 1, n.trim()),
                (Some(o), None) => format!("line {} removed: '{}'", i + 1, o.trim()),
                (None, None) => "changed".to_string(),
            };
            ((i + 1).min(hl.len().max(1)) as u32, what)
        }
        (None, None) => (1, "changed".to_string()),
    }
}

/// A source position from a diff source reference.
pub(super) fn pos_of(s: &crate::diff::SourceRef) -> Pos {
    Pos {
        file: Some(Arc::from(s.path.as_str())),
        line: s.line,
        col: 1,
    }
}

/// The source lines behind an overlay's changes (changed files first).
pub(super) fn change_sources(o: &OverlayDiff, changed: &BTreeSet<&str>) -> Vec<(Pos, bool)> {
    let mut out: Vec<(Pos, bool)> = Vec::new();
    for ch in &o.changes {
        let mut refs: Vec<&crate::diff::SourceRef> =
            ch.fields.iter().filter_map(|f| f.source.as_ref()).collect();
        if refs.is_empty() {
            refs.extend(ch.origin.as_ref());
        }
        for r in refs {
            let p = pos_of(r);
            let removal = ch.action == ChangeAction::Removed;
            if !out.iter().any(|(x, _)| *x == p) {
                out.push((p, removal));
            }
        }
    }
    out.sort_by_key(|(p, _)| !changed.contains(p.file.as_deref().unwrap_or("")));
    out
}

pub(super) fn single_environment(
    report: &DiffReport,
    touched: &[Touched],
    changed: &BTreeSet<&str>,
    sev: Severity,
) -> Violation {
    let names: Vec<&str> = touched.iter().map(|t| t.env.as_str()).collect();
    let mut notes = Vec::new();
    let mut first: Option<(Pos, bool)> = None;
    for t in touched {
        for path in &t.overlays {
            let Some(o) = report.overlays.iter().find(|o| &o.path == path) else {
                continue;
            };
            let res: Vec<String> = o
                .changes
                .iter()
                .map(|c| {
                    let what = match c.action {
                        ChangeAction::Added => "added".to_string(),
                        ChangeAction::Removed => "removed".to_string(),
                        ChangeAction::Modified => {
                            format!(
                                "{} field{}",
                                c.fields.len(),
                                if c.fields.len() == 1 { "" } else { "s" }
                            )
                        }
                    };
                    format!("{} {} ({what})", c.kind, c.name)
                })
                .collect();
            let mut srcs = change_sources(o, changed);
            // Prefer the lines of files this change edits; fall back to every source.
            if srcs
                .iter()
                .any(|(p, _)| changed.contains(p.file.as_deref().unwrap_or("")))
            {
                srcs.retain(|(p, _)| changed.contains(p.file.as_deref().unwrap_or("")));
            }
            if first.is_none() {
                first = srcs.first().cloned();
            }
            let src_list: Vec<String> = srcs.iter().take(5).map(|(p, _)| p.to_string()).collect();
            let mut note = format!("{}: {path}: {}", t.env, res.join(", "));
            if !src_list.is_empty() {
                note.push_str(&format!("; from {}", src_list.join(", ")));
            }
            notes.push(note);
        }
    }
    let files: Vec<&str> = changed.iter().copied().take(5).collect();
    if !files.is_empty() {
        let more = if changed.len() > 5 {
            format!(" and {} more", changed.len() - 5)
        } else {
            String::new()
        };
        notes.push(format!("files changed: {}{more}", files.join(", ")));
    }
    let (pos, removal) = first.unwrap_or((Pos::none(), false));
    Violation {
        rule: "single-environment",
        severity: sev,
        message: format!(
            "this change touches {} environments: {}",
            touched.len(),
            names.join(", ")
        ),
        pos,
        side: if removal { Side::Base } else { Side::Head },
        label: format!(
            "this line changes the rendered output of {}",
            names.join(" and ")
        ),
        notes,
        help: format!(
            "split the change: one environment per change, in promotion order ({})",
            names.join(" -> ")
        ),
    }
}

/// A field P is missing: (message, source line, whether the line is at base).
pub(super) type Missing = (String, Pos, bool);

#[allow(clippy::too_many_arguments)]
pub(super) fn promotion_order(
    cfg: &Config,
    report: &DiffReport,
    sides: &RenderedSides,
    assign: &BTreeMap<String, config::Assignment>,
    o: &OverlayDiff,
    env: &str,
    prev: &str,
    sev: Severity,
) -> Option<(Option<String>, Violation)> {
    use promotion::{eval, find_resource, parse_path, show, Norm};
    // Overlays of the previous environment at base, counterpart first.
    let key = config::cluster_key(&o.path, &assign[&o.path]);
    let mut cands: Vec<&String> = sides
        .base
        .keys()
        .filter(|p| {
            let a = assign.get(*p).cloned().unwrap_or_else(|| cfg.assign(p));
            a.env.as_deref() == Some(prev)
        })
        .collect();
    cands.sort_by_key(|p| {
        let a = assign.get(*p).cloned().unwrap_or_else(|| cfg.assign(p));
        config::cluster_key(p, &a) != key
    });
    let head_res = sides.head.get(&o.path).map(Vec::as_slice).unwrap_or(&[]);
    let head_norm = Norm::of(head_res);
    let first_src = o
        .changes
        .iter()
        .flat_map(|c| {
            c.fields
                .iter()
                .filter_map(|f| f.source.as_ref())
                .chain(c.origin.as_ref())
        })
        .next()
        .map(pos_of)
        .unwrap_or_default();
    if cands.is_empty() {
        return Some((None, Violation {
            rule: "promotion-order",
            severity: sev,
            message: format!("{env} is changed, but {prev}, which must show the change first, has no overlay at base"),
            pos: first_src,
            side: Side::Head,
            label: format!("changes {}", o.path),
            notes: vec![format!("{prev} has no overlay at base")],
            help: format!("add an overlay for {prev} and make the change there first"),
        }));
    }
    // Judge against each candidate; pass when one shows the change.
    let mut best: Option<(String, Vec<Missing>)> = None;
    for cand in &cands {
        let pres = &sides.base[*cand];
        let pnorm = Norm::of(pres);
        let mut missing: Vec<Missing> = Vec::new();
        for ch in &o.changes {
            let src = ch
                .fields
                .iter()
                .find_map(|f| f.source.as_ref())
                .or(ch.origin.as_ref())
                .map(pos_of)
                .unwrap_or_default();
            match ch.action {
                ChangeAction::Removed => {
                    let Some(br) = sides.base_resource(&o.path, ch) else {
                        continue;
                    };
                    if find_resource(pres, &ch.kind, &promotion::base_name(br)).is_some() {
                        missing.push((
                            format!(
                                "{} {} is removed here but still present in {cand}",
                                ch.kind, ch.name
                            ),
                            src,
                            true,
                        ));
                    }
                }
                ChangeAction::Added => {
                    let Some(hr) = sides.head_resource(&o.path, ch) else {
                        continue;
                    };
                    let bn = promotion::base_name(hr);
                    match find_resource(pres, &ch.kind, &bn) {
                        None => missing.push((
                            format!("{} {bn} is added here but absent from {cand}", ch.kind),
                            src,
                            false,
                        )),
                        Some(pr) => {
                            let pl = promotion::leaves(&pr.node);
                            for (path, v) in promotion::leaves(&hr.node) {
                                let pv = pl
                                    .iter()
                                    .find(|(p, _)| *p == path)
                                    .map(|(_, x)| pnorm.apply(x));
                                if pv.as_ref() != Some(&head_norm.apply(&v)) {
                                    let (here, there) = if ch.secret {
                                        (
                                            "set".to_string(),
                                            if pv.is_some() { "different" } else { "absent" }
                                                .to_string(),
                                        )
                                    } else {
                                        (show(Some(&v)), show(pv.as_ref()))
                                    };
                                    missing.push((
                                        format!(
                                            "{} {bn}: {path} is {here} here but {there} in {cand}",
                                            ch.kind,
                                        ),
                                        src.clone(),
                                        false,
                                    ));
                                }
                            }
                        }
                    }
                }
                ChangeAction::Modified => {
                    let (Some(hr), br) = (
                        sides.head_resource(&o.path, ch),
                        sides.base_resource(&o.path, ch),
                    ) else {
                        continue;
                    };
                    let bn = promotion::base_name(br.unwrap_or(hr));
                    let Some(pr) = find_resource(pres, &ch.kind, &bn)
                        .or_else(|| find_resource(pres, &ch.kind, &promotion::base_name(hr)))
                    else {
                        missing.push((
                            format!("{} {bn} is changed here but absent from {cand}", ch.kind),
                            src,
                            false,
                        ));
                        continue;
                    };
                    for f in &ch.fields {
                        let steps = parse_path(&f.path);
                        let fsrc = f.source.as_ref().map(pos_of).unwrap_or_else(|| src.clone());
                        let hv = eval(&hr.node, &steps).map(|n| head_norm.apply(&n.to_json()));
                        let pv = eval(&pr.node, &steps).map(|n| pnorm.apply(&n.to_json()));
                        if hv != pv {
                            let shown_new = eval(&hr.node, &steps).map(|n| n.to_json());
                            let shown_p = eval(&pr.node, &steps).map(|n| n.to_json());
                            let msg = if hv.is_none() {
                                format!(
                                    "{} {bn}: {} is removed here but still {} in {cand}",
                                    ch.kind,
                                    f.path,
                                    if ch.secret {
                                        "set".to_string()
                                    } else {
                                        show(shown_p.as_ref())
                                    }
                                )
                            } else {
                                format!(
                                    "{} {bn}: {} is {} here but {} in {cand}",
                                    ch.kind,
                                    f.path,
                                    if ch.secret {
                                        "changed".to_string()
                                    } else {
                                        show(shown_new.as_ref())
                                    },
                                    if ch.secret {
                                        "different".to_string()
                                    } else {
                                        show(shown_p.as_ref())
                                    }
                                )
                            };
                            missing.push((msg, fsrc, hv.is_none()));
                        }
                    }
                }
            }
        }
        if missing.is_empty() {
            return None;
        }
        if best.is_none() {
            best = Some(((*cand).clone(), missing));
        }
    }
    let (cand, missing) = best?;
    let (pos, removal) = missing
        .first()
        .map(|(_, p, r)| (p.clone(), *r))
        .unwrap_or_default();
    let n = missing.len();
    let mut notes: Vec<String> = missing.iter().take(10).map(|(m, _, _)| m.clone()).collect();
    if n > 10 {
        notes.push(format!("... and {} more", n - 10));
    }
    let _ = report;
    Some((
        Some(cand.clone()),
        Violation {
            rule: "promotion-order",
            severity: sev,
            message: format!(
                "{env} is changed before {prev}: {} does not show {} at base",
                o.path,
                if n == 1 {
                    "this change".to_string()
                } else {
                    format!("{n} of these changes")
                }
            ),
            pos,
            side: if removal { Side::Base } else { Side::Head },
            label: format!("{prev} ({cand}) does not have this yet"),
            notes,
            help: format!(
                "make the same change in {prev} first ({cand}), merge it, then promote it to {env}"
            ),
        },
    ))
}
