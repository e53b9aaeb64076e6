//! The page shell and small shared widgets.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use maud::{html, Markup, DOCTYPE};

/// Top-level sections, in navigation order: (path, label).
pub const SECTIONS: [(&str, &str); 7] = [
    ("/chain", "Chain"),
    ("/identity", "Identity"),
    ("/credentials", "Credentials"),
    ("/verify", "Verify"),
    ("/psi", "PSI"),
    ("/voting", "Voting"),
    ("/governance", "Governance"),
];

/// A full page: `title` in the tab and heading, `active` the navigation entry to highlight.
pub fn page(title: &str, active: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Weft" }
                link rel="stylesheet" href="/assets/weft.css";
                script src="/assets/weft.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/" { "Weft" }
                    nav {
                        @for (path, label) in SECTIONS {
                            a href=(path) class=[(path == active).then_some("active")] { (label) }
                        }
                    }
                    div.who #who {
                        a #signin-link href="/signin" { "Sign in" }
                        span #signed-in hidden {
                            span #who-name {}
                            " "
                            button #signout type="button" { "Sign out" }
                        }
                    }
                }
                main {
                    h1 { (title) }
                    (body)
                }
                footer { "Weft · a consortium chain for identity and privacy computing" }
            }
        }
    }
}

/// An error page with `status`.
pub fn error_page(status: StatusCode, title: &str, detail: &str) -> HttpResponse {
    super::html(
        status,
        page(
            title,
            "",
            html! {
                p.error { (detail) }
                p { a href="/chain" { "Back to the chain explorer" } }
            },
        ),
    )
}

/// A hash or address shortened for tables; the full value is in the title attribute.
pub fn short(full: &str) -> Markup {
    let shown = if full.len() > 14 {
        format!("{}…{}", &full[..10], &full[full.len() - 4..])
    } else {
        full.to_string()
    };
    html! { code title=(full) { (shown) } }
}

/// A millisecond Unix timestamp as RFC 3339 UTC (the raw number if out of range).
pub fn time(ms: u64) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| {
            t.replace_nanosecond(0)
                .ok()?
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ms.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_formats_utc_and_survives_extremes() {
        assert_eq!(time(0), "1970-01-01T00:00:00Z");
        assert_eq!(time(1_700_000_000_123), "2023-11-14T22:13:20Z");
        assert_eq!(time(u64::MAX), u64::MAX.to_string());
    }

    #[test]
    fn short_keeps_ends() {
        let s = short("0x0123456789abcdef0123").into_string();
        assert!(s.contains("0x01234567…0123"), "{s}");
        assert!(s.contains("title=\"0x0123456789abcdef0123\""), "{s}");
        assert!(short("0xabc").into_string().contains(">0xabc<"));
    }
}
