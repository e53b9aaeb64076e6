//! The governance page: this organisation, the validator set, the committee, the proposals and
//! the chain configuration, with forms to propose (add a validator, grant a permission, add a
//! committee member, set a configuration value) and to vote as this organisation.
//!
//! Everything is read from the public `GET /api/v1/governance` and `GET /api/v1/organisation`
//! by `assets/governance.js` and rendered with `textContent`; proposing and voting go to the
//! REST API with the signed-in token (the operator tenant's admin), and the chain decides
//! whether this organisation is on the committee.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::html;

use super::html;
use super::layout::page;

const JS: &str = include_str!("assets/governance.js");

/// Mounts the page (and its script).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/governance", web::get().to(index)).route(
        "/assets/governance.js",
        web::get().to(|| async { super::asset("text/javascript; charset=utf-8", JS) }),
    );
}

/// `GET /governance`.
async fn index() -> HttpResponse {
    let body = html! {
        p.lead {
            "The consortium decides together: a proposal passes once a strict majority of the "
            "committee approves. Proposing and voting here speak for this node's organisation "
            "(sign in with the operator tenant's admin token)."
        }
        section {
            h2 { "This organisation" }
            dl #org {}
        }
        section {
            h2 { "Validators" }
            table {
                thead { tr { th { "Name" } th { "Public key" } th { "Power" } } }
                tbody #validators {}
            }
        }
        section {
            h2 { "Committee" }
            ul #committee {}
        }
        section {
            h2 { "Proposals" }
            table {
                thead { tr { th { "Id" } th { "Action" } th { "Status" } th { "Votes" } th { "" } } }
                tbody #proposals {}
            }
        }
        section {
            h2 { "Propose" }
            form.search.gov-form data-kind="add_validator" {
                input name="public_key" placeholder="new validator's node public key (hex)" required;
                input name="name" placeholder="name" required;
                button type="submit" { "Propose adding the validator" }
            }
            form.search.gov-form data-kind="grant" {
                input name="account" placeholder="account (0x…)" required;
                select name="permission" {
                    option value="did.authority-issuer" { "authority issuer" }
                    option value="did.cpt-admin" { "CPT admin" }
                    option value="evidence.writer" { "evidence writer" }
                }
                button type="submit" { "Propose the grant" }
            }
            form.search.gov-form data-kind="add_member" {
                input name="address" placeholder="new committee member's account (0x…)" required;
                button type="submit" { "Propose the member" }
            }
            form.search.gov-form data-kind="set_config" {
                input name="key" placeholder="configuration key" required;
                input name="value" placeholder="value" required;
                button type="submit" { "Propose the value" }
            }
        }
        section {
            h2 { "Configuration" }
            form.search #config-form {
                input name="key" placeholder="configuration key" required;
                button type="submit" { "Read" }
            }
            p #config-value {}
        }
        pre #api-result hidden {}
        script src="/assets/governance.js" defer {}
    };
    html(StatusCode::OK, page("Governance", "/governance", body))
}
