//! `portalctl csat report`.

use std::io::Write;

use portal::domain::time::rfc3339;
use portal::Portal;

use super::slug;
use crate::output::{print, CsatReportJson, RecentCommentJson};
use crate::CtlError;

pub async fn report(portal: &Portal, out: &mut dyn Write, json: bool, raw_slug: &str) -> Result<(), CtlError> {
    let report = portal.csat_report(&slug(raw_slug)?).await?;
    let value = CsatReportJson {
        average: report.average,
        count: report.count,
        distribution: (1..=5).map(|stars| (stars.to_string(), report.distribution[stars - 1])).collect(),
        recent_comments: report
            .recent_comments
            .iter()
            .map(|c| RecentCommentJson {
                at: rfc3339(c.at),
                comment: c.comment.clone(),
                reference: c.reference,
                stars: c.stars,
            })
            .collect(),
    };
    print(out, json, &value, || {
        let mut text = match report.average {
            Some(avg) => format!("{} rating(s), average {avg:.2} / 5\n", report.count),
            None => "No ratings yet.\n".into(),
        };
        for stars in (1..=5).rev() {
            let n = report.distribution[stars - 1];
            text.push_str(&format!("{stars}★ {:>4}  {}\n", n, "#".repeat(n.min(50) as usize)));
        }
        for c in &report.recent_comments {
            text.push_str(&format!("{} {}★ {}\n", c.reference, c.stars, c.comment));
        }
        text
    })
}
