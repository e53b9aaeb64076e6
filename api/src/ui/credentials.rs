//! Credential pages: issuing (a form generated from the CPT's JSON schema), the holder wallet
//! (which also answers a verifier's presentation request: its QR image or text is decoded, a
//! wallet credential is presented with the holder's custodied key through
//! `POST /api/v1/presentations/prove`, and the presentation is posted to the request's response
//! URL on this server), and verification (a QR image uploaded or seen by the camera, pasted
//! text, or a presentation request shown as a QR that a wallet answers over HTTP).
//!
//! The pages are static shells; their scripts (`assets/credentials.js`, `assets/verify.js`;
//! the CSP forbids inline script) call the REST and VC API endpoints with the signed-in token
//! and write every answer with `textContent`, never as markup. The wallet keeps credentials in
//! this browser's `localStorage` — a demonstration wallet: anyone with access to the browser
//! profile can read them.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::{html, Markup};

use super::html;
use super::layout::page;
use super::sections::summary;

const CREDENTIALS_JS: &str = include_str!("assets/credentials.js");
const VERIFY_JS: &str = include_str!("assets/verify.js");

/// Mounts this section's pages (and assets).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/credentials", web::get().to(credentials))
        .route("/verify", web::get().to(verify))
        .route(
            "/assets/credentials.js",
            web::get()
                .to(|| async { super::asset("text/javascript; charset=utf-8", CREDENTIALS_JS) }),
        )
        .route(
            "/assets/verify.js",
            web::get().to(|| async { super::asset("text/javascript; charset=utf-8", VERIFY_JS) }),
        );
}

fn issue_form() -> Markup {
    html! {
        section {
            h2 { "Issue a credential" }
            p {
                "Sign in with an issuer's token. The issuer DID must be one of your tenant's DIDs; \
                 the claims form is generated from the CPT's schema and checked against it again \
                 when the credential is issued."
            }
            form #cpt-form.search {
                input name="cpt" type="number" min="1" placeholder="CPT id" required;
                input name="version" type="number" min="1" placeholder="version (latest)";
                button type="submit" { "Load schema" }
            }
            form #issue-form.stacked hidden {
                p #cpt-title.note {}
                label { "Issuer DID " input name="issuer" placeholder="did:weft:…" required; }
                label { "Signing key id " input name="key_id" placeholder="custodied key id" required; }
                label { "Holder DID " input name="subject" placeholder="did:weft:… or did:key:… (optional)"; }
                label { "Valid until " input name="valid_until" type="datetime-local"; }
                fieldset #claims { legend { "Claims" } }
                label.inline { input name="revocable" type="checkbox" checked; " revocable (status list entry)" }
                label.inline { input name="evidence" type="checkbox"; " anchor evidence on chain" }
                button type="submit" { "Issue" }
            }
        }
    }
}

fn wallet() -> Markup {
    html! {
        section {
            h2 { "Wallet" }
            p.note {
                "Credentials you issue or import are kept in this browser (local storage). Show one \
                 as a QR code for a verifier to scan."
            }
            ul #wallet.wallet {}
            p #wallet-empty.note { "The wallet is empty." }
            form #import-form.stacked {
                label { "Import a credential (JSON) " textarea name="credential" rows="4" {} }
                button type="submit" { "Import" }
            }
            figure #qr-figure hidden {
                img #qr-image alt="QR code of the credential";
                figcaption #qr-caption {}
                a #qr-png download="credential-qr.png" href="#" { "Download PNG" }
            }
        }
    }
}

fn answer_request() -> Markup {
    html! {
        section {
            h2 { "Answer a request" }
            p.note {
                "A verifier's Verify page shows a request QR code. Upload an image of it or paste its "
                code { "WEFT1:" } " text, pick a credential from the wallet and the holder DID (signed                 in with the holder's token: the holder's custodied key signs the presentation), and                 the answer goes to the verifier. Only requests answered on this server are followed."
            }
            form #answer-form.stacked {
                label { "Request QR image " input #answer-file name="image" type="file" accept="image/png,image/jpeg,image/gif,image/webp"; }
                label { "or the request text (" code { "WEFT1:" } " or JSON) " textarea name="request" rows="2" {} }
                button type="submit" { "Read request" }
            }
            form #answer-send.stacked hidden {
                p #answer-summary.note {}
                label { "Credential " select #answer-credential name="credential" {} }
                label { "Holder DID " input name="holder" placeholder="did:weft:…" required; }
                label { "Holder key id " input name="key_id" placeholder="custodied key id (optional)"; }
                label { "Predicate openings " textarea name="openings" rows="2" placeholder="weft-openings-v1… (only if the request asks for predicates)" {} }
                button type="submit" { "Prove and answer" }
            }
            p #answer-verdict hidden role="status" {}
        }
    }
}

/// `GET /credentials`.
pub async fn credentials() -> HttpResponse {
    let body = html! {
        p.lead { (summary("/credentials")) }
        (issue_form())
        (wallet())
        (answer_request())
        pre #api-result hidden role="status" {}
        script src="/assets/credentials.js" defer {}
    };
    html(StatusCode::OK, page("Credentials", "/credentials", body))
}

/// `GET /verify`.
pub async fn verify() -> HttpResponse {
    let body = html! {
        p.lead { (summary("/verify")) }
        section {
            h2 { "Scan a QR code" }
            form #upload-form.search {
                input #qr-file name="image" type="file" accept="image/png,image/jpeg,image/gif,image/webp";
                button type="submit" { "Verify image" }
            }
            p {
                button #camera-start type="button" { "Use the camera" }
                " "
                button #camera-stop type="button" hidden { "Stop" }
            }
            video #camera hidden playsinline muted {}
            canvas #frame hidden {}
            form #paste-form.stacked {
                label { "Or paste a " code { "WEFT1:" } " envelope, a credential (JSON) or an SD-JWT presentation "
                    textarea name="text" rows="3" {} }
                fieldset #sd-binding {
                    legend { "SD-JWT key binding" }
                    p.note { "An SD-JWT presentation is accepted only if the holder's key binding signs this nonce and audience: give both to the holder's wallet before it presents." }
                    label { "Nonce " input #sd-nonce name="nonce" autocomplete="off" maxlength="256"; }
                    label { "Audience " input #sd-aud name="aud" autocomplete="off" maxlength="256"; }
                }
                button type="submit" { "Verify text" }
            }
        }
        section {
            h2 { "Ask a holder" }
            p { "Shows a request QR with a fresh challenge; the holder's wallet answers over HTTP and the result appears below." }
            form #request-form.search {
                input name="claims" placeholder="claims to disclose, comma separated (optional)";
                button type="submit" { "Show request" }
            }
            figure #request-figure hidden {
                img #request-image alt="presentation request QR code";
                figcaption #request-caption {}
            }
        }
        section #verify-result hidden aria-live="polite" {
            h2 #verdict {}
            p #verify-subject.note {}
            table #checks {
                thead { tr { th { "Check" } th { "Result" } th { "Reason" } } }
                tbody {}
            }
        }
        pre #api-result hidden role="status" {}
        script src="/assets/verify.js" defer {}
    };
    html(StatusCode::OK, page("Verify", "/verify", body))
}
