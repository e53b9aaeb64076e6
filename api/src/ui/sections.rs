//! Sign-in, and the one-line summary of each capability section.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use maud::html;

use super::html;
use super::layout::page;

/// One line on what a section is for (the overview's cards use it too).
pub fn summary(path: &str) -> &'static str {
    match path {
        "/chain" => "Blocks, transactions and validators of this chain, live.",
        "/identity" => {
            "Register DIDs, apply for authority-issuer standing, publish claim schemas (CPTs)."
        }
        "/credentials" => {
            "Issue verifiable credentials from a CPT and keep them in a holder wallet."
        }
        "/verify" => "Scan a credential's QR code and check it against the chain.",
        "/psi" => "Intersect customer lists with a partner without revealing anything else.",
        "/voting" => "Hold anonymous votes whose tally anyone can verify.",
        "/governance" => "Vote new organisations in as validators; grant issuer permissions.",
        _ => "",
    }
}

/// `GET /signin`: a token form; `weft.js` checks the token with `GET /api/v1/auth/whoami` and
/// keeps it in this tab's `sessionStorage` only.
pub async fn signin() -> HttpResponse {
    let body = html! {
        p {
            "Sign in with an API token. " code { "weft up" } " prints the administrator's token on \
             its first start; an administrator creates others with " code { "weft token create" } "."
        }
        form #signin-form.signin autocomplete="off" {
            label for="token" { "Token" }
            input #token type="password" name="token" required autocomplete="off" spellcheck="false";
            button type="submit" { "Sign in" }
        }
        p #signin-result role="status" {}
        p.note { "The token stays in this browser tab (session storage) and is sent only to this server." }
    };
    html(StatusCode::OK, page("Sign in", "", body))
}
