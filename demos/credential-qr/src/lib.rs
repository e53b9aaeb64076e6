//! The credential-QR demo: three organisations, each running its own full Weft node (a separate
//! `weft node` process) on one chain; an issuer at the first, a holder at the second and a
//! verifier at the third play their parts over HTTP, each through its own organisation's node
//! (see the README for the steps).
//!
//! The verifier reads the QR code from the PNG bytes the holder was given, with the same decoder
//! `weft qr decode` uses, so the path from pixels to a verification report is the real one.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context as _};
use serde_json::{json, Value};
use weft_cli::local_net::{weft_binary, LocalNetwork};
use weft_did::qr::{self, Payload};

/// The CPT the issuer publishes (an authority issuer's range is 1000..1,999,999).
pub const CPT_ID: u64 = 1500;

/// What a run showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The issued credential's id.
    pub credential_id: String,
    /// Characters of the envelope in the first QR code.
    pub envelope_chars: usize,
    /// Whether the first QR code went by reference.
    pub by_reference: bool,
    /// Whether verification passed before revocation.
    pub verified_before: bool,
    /// The reasons of the failed checks after revocation.
    pub after_revocation: Vec<String>,
}

/// One organisation's node, as its tenants reach it over HTTP.
#[allow(missing_debug_implementations)] // holds an HTTP client
pub struct Platform {
    /// Base URL (`http://127.0.0.1:<port>`; web UI at `/`).
    pub base: String,
    http: awc::Client,
    /// The organisation's first-start admin token.
    pub admin_token: String,
}

/// An HTTP answer: status, and the body as JSON (or the raw bytes).
struct Reply {
    status: u16,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> anyhow::Result<Value> {
        serde_json::from_slice(&self.body).with_context(|| {
            format!(
                "HTTP {}: not JSON: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn expect(self, status: u16, what: &str) -> anyhow::Result<Reply> {
        if self.status != status {
            bail!(
                "{what}: HTTP {} (expected {status}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            );
        }
        Ok(self)
    }
}

impl Platform {
    fn of(net: &LocalNetwork, i: usize) -> anyhow::Result<Platform> {
        Ok(Platform {
            base: net.url(i).to_string(),
            http: awc::Client::builder()
                .timeout(Duration::from_secs(60))
                .finish(),
            admin_token: net.admin_token(i)?,
        })
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<Reply> {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        let mut request = self
            .http
            .request(awc::http::Method::from_bytes(method.as_bytes())?, url);
        if let Some(token) = token {
            request = request.insert_header(("Authorization", format!("Bearer {token}")));
        }
        let mut response = match body {
            Some(body) => {
                request
                    .insert_header(("Content-Type", "application/json"))
                    .send_body(body.to_string())
                    .await
            }
            None => request.send().await,
        }
        .map_err(|e| anyhow!("{method} {path}: {e}"))?;
        let body = response.body().limit(16 << 20).await?.to_vec();
        Ok(Reply {
            status: response.status().as_u16(),
            body,
        })
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> anyhow::Result<Reply> {
        self.send("POST", path, Some(token), Some(&body)).await
    }

    /// A token of a new tenant of this node with the issuer role (it may sign with its
    /// custodied keys).
    pub async fn tenant(&self, tenant: &str) -> anyhow::Result<String> {
        let v = self
            .post(
                "/api/v1/tokens",
                &self.admin_token,
                json!({"tenant": tenant, "roles": ["issuer"], "label": "demo"}),
            )
            .await?
            .expect(201, "creating a token")?
            .json()?;
        Ok(str_field(&v, "token")?.to_string())
    }

    async fn create_did(&self, token: &str, key_id: &str) -> anyhow::Result<String> {
        let v = self
            .post("/api/v1/dids", token, json!({"key_id": key_id}))
            .await?
            .expect(201, "creating a DID")?
            .json()?;
        Ok(str_field(&v, "did")?.to_string())
    }

    /// The holder's QR code for `credential`: inline if its envelope fits, otherwise a one-time
    /// reference. Returns the PNG and whether it went by reference.
    pub async fn holder_qr(
        &self,
        token: &str,
        credential: &Value,
    ) -> anyhow::Result<(Vec<u8>, bool)> {
        let payload = json!({"t": "vc", "c": credential});
        let inline = self
            .post("/api/v1/qr/encode?format=png", token, payload.clone())
            .await?;
        if inline.status == 200 {
            return Ok((inline.body, false));
        }
        let problem = inline.json()?;
        ensure!(
            inline.status == 422 && problem["code"] == "envelope_too_large",
            "encoding the QR code: HTTP {}: {problem}",
            inline.status
        );
        let reference = self
            .post(
                "/api/v1/qr/refs",
                token,
                json!({"payload": payload, "ttl_secs": 300}),
            )
            .await?
            .expect(201, "creating a one-time reference")?
            .json()?;
        let pointer = json!({"t": "ref", "c": {
            "url": str_field(&reference, "url")?,
            "expires": reference["expires"],
        }});
        let png = self
            .post("/api/v1/qr/encode?format=png", token, pointer)
            .await?
            .expect(200, "encoding the reference QR code")?;
        Ok((png.body, true))
    }

    /// The verifier's side: pixels → envelope → (fetch once) → credential → report.
    pub async fn scan_and_verify(
        &self,
        token: &str,
        png: &[u8],
    ) -> anyhow::Result<(String, Value)> {
        let text = qr::decode_qr_image(png).context("reading the QR code")?;
        let credential = match qr::decode_envelope(&text).context("decoding the envelope")? {
            Payload::Credential(vc) => vc,
            Payload::Reference { url, .. } => {
                let fetched = self
                    .send("GET", &url, None, None)
                    .await?
                    .expect(200, "fetching the referenced credential")?
                    .json()?;
                match serde_json::from_value::<Payload>(fetched)? {
                    Payload::Credential(vc) => vc,
                    other => bail!("the reference holds {other:?}, not a credential"),
                }
            }
            other => bail!("the QR code holds {other:?}, not a credential"),
        };
        // 200 with the report when verified, 422 problem+json carrying the same report when not.
        let answer = self
            .post(
                "/credentials/verify",
                token,
                json!({"verifiableCredential": credential, "options": {"checkStatus": true}}),
            )
            .await?;
        ensure!(
            answer.status == 200 || answer.status == 422,
            "verifying: HTTP {}: {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        );
        let body = answer.json()?;
        let report = body
            .get("report")
            .cloned()
            .ok_or_else(|| anyhow!("no report in the answer: {body}"))?;
        Ok((text, report))
    }
}

fn str_field<'a>(v: &'a Value, name: &str) -> anyhow::Result<&'a str> {
    v[name]
        .as_str()
        .ok_or_else(|| anyhow!("the answer has no {name}: {v}"))
}

fn failures(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["passed"] == false)
        .filter_map(|c| c["reason"].as_str().map(String::from))
        .collect()
}

/// The demo's world after issuance: the three organisations' nodes, the parties' tokens and the
/// credential.
#[allow(missing_debug_implementations)] // holds the network and HTTP clients
pub struct Issued {
    /// The running network (the nodes stop when it is dropped).
    pub network: LocalNetwork,
    /// The issuer's organisation (node 1).
    pub issuer_org: Platform,
    /// The holder's organisation (node 2).
    pub holder_org: Platform,
    /// The verifier's organisation (node 3).
    pub verifier_org: Platform,
    /// The issuer tenant's token (at the issuer's organisation).
    pub issuer: String,
    /// The holder tenant's token (at the holder's organisation).
    pub holder: String,
    /// The verifier tenant's token (at the verifier's organisation).
    pub verifier: String,
    /// The issued credential.
    pub credential: Value,
    /// Its id.
    pub credential_id: String,
}

/// Steps 1–4: three organisations' nodes in `dir` (kept if `keep`), a recognised issuer with a
/// CPT at the first, a holder at the second, and an issued credential with a revocation entry.
/// Must be called inside an actix runtime.
pub async fn issue(say: &mut impl FnMut(&str), dir: &Path, keep: bool) -> anyhow::Result<Issued> {
    let network = LocalNetwork::start(&weft_binary()?, dir, 3, 1000, keep)?;
    let dids = network.organisation_dids(Duration::from_secs(120)).await?;
    let (p, holder_org, verifier_org) = (
        Platform::of(&network, 0)?,
        Platform::of(&network, 1)?,
        Platform::of(&network, 2)?,
    );
    say(&format!(
        "[1/7] three organisations' nodes on one chain (separate processes, homes in {}):",
        network.dir().display()
    ));
    for (i, (role, org)) in [
        ("issuer", &p),
        ("holder", &holder_org),
        ("verifier", &verifier_org),
    ]
    .iter()
    .enumerate()
    {
        say(&format!(
            "      {role:<8} web UI {}/  DID {}  admin token {}",
            org.base, dids[i], org.admin_token
        ));
    }

    // 1. The issuer: DID, application, recognition by the committee, CPT.
    let issuer = p.tenant("university").await?;
    let issuer_did = p.create_did(&issuer, "signing").await?;
    p.post(
        "/api/v1/issuers",
        &issuer,
        json!({"key_id": "signing", "name": "Example University", "description": "Degrees"}),
    )
    .await?
    .expect(200, "applying as an authority issuer")?;
    // Recognition is a committee decision: the issuer's organisation proposes on its node, the
    // holder's organisation approves on its own (2 of 3).
    let proposed = p
        .post(
            &format!("/api/v1/issuers/{issuer_did}/recognition"),
            &p.admin_token,
            json!({"key_id": "admin", "recognised": true}),
        )
        .await?
        .expect(200, "proposing to recognise the issuer")?
        .json()?;
    let proposal = proposed["proposal_id"]
        .as_u64()
        .ok_or_else(|| anyhow!("no proposal id: {proposed}"))?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let vote = holder_org
            .post(
                &format!("/api/v1/governance/proposals/{proposal}/votes"),
                &holder_org.admin_token,
                json!({"approve": true}),
            )
            .await?;
        if vote.status == 200 {
            ensure!(
                vote.json()?["proposal"]["status"] == "passed",
                "the recognition did not pass"
            );
            break;
        }
        // The holder's node may be a block behind the proposal.
        ensure!(
            vote.status == 404 && Instant::now() < deadline,
            "approving the recognition: HTTP {}: {}",
            vote.status,
            String::from_utf8_lossy(&vote.body)
        );
        actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    }
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "University degree",
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "degree": {"type": "string", "enum": ["BSc", "MSc", "PhD"]},
            "year": {"type": "integer", "minimum": 1900, "maximum": 2100}
        },
        "required": ["name", "degree", "year"]
    });
    let cpt = p
        .post(
            "/api/v1/cpts",
            &issuer,
            json!({"key_id": "signing", "id": CPT_ID, "schema": schema}),
        )
        .await?
        .expect(201, "publishing the CPT")?
        .json()?;
    say(&format!(
        "[2/7] issuer {issuer_did} recognised; CPT {CPT_ID} v{} published",
        cpt["version"]
    ));

    // 2. The holder, a tenant of the second organisation's node.
    let holder = holder_org.tenant("alice").await?;
    let holder_did = holder_org.create_did(&holder, "wallet").await?;
    say(&format!(
        "[3/7] holder {holder_did} (at the second organisation)"
    ));
    let verifier = verifier_org.tenant("gate").await?;
    // The issuer's node must know the holder's DID before issuing to it.
    let deadline = Instant::now() + Duration::from_secs(30);
    while p
        .send("GET", &format!("/1.0/identifiers/{holder_did}"), None, None)
        .await?
        .status
        != 200
    {
        ensure!(
            Instant::now() < deadline,
            "the issuer's node never saw the holder's DID"
        );
        actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    }

    // 3. Issuance, with a revocation entry.
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "UniversityDegreeCredential"],
        "issuer": issuer_did,
        "credentialSchema": {"id": format!("urn:weft:cpt:{CPT_ID}:1"), "type": "JsonSchema"},
        "credentialSubject": {"id": holder_did, "name": "Alice Example", "degree": "MSc", "year": 2026},
    });
    let issued = p
        .post(
            "/credentials/issue",
            &issuer,
            json!({"credential": unsigned, "options": {"key_id": "signing", "status": true}}),
        )
        .await?
        .expect(201, "issuing")?
        .json()?;
    let credential = issued["verifiableCredential"].clone();
    let credential_id = str_field(&credential, "id")?.to_string();
    ensure!(
        credential.get("credentialStatus").is_some(),
        "the credential carries no status entry: {credential}"
    );
    say(&format!("[4/7] issued {credential_id}"));
    Ok(Issued {
        network,
        issuer_org: p,
        holder_org,
        verifier_org,
        issuer,
        holder,
        verifier,
        credential,
        credential_id,
    })
}

/// Runs the demo, reporting each step through `say`; writes the QR PNGs into `out` if given.
/// Must be called inside an actix runtime.
pub async fn run(
    out: Option<&Path>,
    dir: &Path,
    keep: bool,
    mut say: impl FnMut(&str),
) -> anyhow::Result<(Outcome, LocalNetwork)> {
    let Issued {
        network,
        issuer_org: p,
        holder_org,
        verifier_org,
        issuer,
        holder,
        verifier,
        credential,
        credential_id,
    } = issue(&mut say, dir, keep).await?;

    // 4. The holder's QR code, from the wallet at the holder's organisation.
    let (png, by_reference) = holder_org.holder_qr(&holder, &credential).await?;
    if let Some(dir) = out {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("credential-qr.png"), &png)?;
    }

    // 5. The verifier scans and verifies at its own organisation's node.
    let (envelope, report) = verifier_org.scan_and_verify(&verifier, &png).await?;
    let verified_before = report["verified"] == true;
    say(&format!(
        "[5/7] QR code of {} bytes ({} envelope characters, {}): verified = {verified_before}",
        png.len(),
        envelope.len(),
        if by_reference {
            "by one-time reference"
        } else {
            "inline"
        }
    ));
    ensure!(verified_before, "verification failed: {report}");

    // 6. The issuer revokes.
    p.post(
        "/credentials/status",
        &issuer,
        json!({
            "credentialId": credential_id,
            "credentialStatus": [{"type": "BitstringStatusListEntry", "status": true, "statusPurpose": "revocation"}],
        }),
    )
    .await?
    .expect(200, "revoking")?;
    say("[6/7] the issuer revoked the credential on chain");

    // 7. A new QR code (a reference is single-use), scanned and verified again.
    let (png, _) = holder_org.holder_qr(&holder, &credential).await?;
    if let Some(dir) = out {
        std::fs::write(dir.join("credential-qr-after-revocation.png"), &png)?;
    }
    // The verifier's node may be a block behind the revocation.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut png = png;
    let report = loop {
        let (_, report) = verifier_org.scan_and_verify(&verifier, &png).await?;
        if report["verified"] == false || Instant::now() > deadline {
            break report;
        }
        actix_web::rt::time::sleep(Duration::from_millis(300)).await;
        png = holder_org.holder_qr(&holder, &credential).await?.0;
    };
    let after_revocation = failures(&report);
    say(&format!(
        "[7/7] verified = {}, failed checks: {}",
        report["verified"],
        after_revocation.join(", ")
    ));
    ensure!(
        report["verified"] == false && after_revocation.iter().any(|r| r == "revoked"),
        "after revocation the credential must fail with `revoked`: {report}"
    );
    Ok((
        Outcome {
            credential_id,
            envelope_chars: envelope.len(),
            by_reference,
            verified_before,
            after_revocation,
        },
        network,
    ))
}
