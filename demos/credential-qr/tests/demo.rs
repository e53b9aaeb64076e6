//! Runs the whole demo: verified before revocation, refused with `revoked` after.

#[actix_web::test]
async fn the_credential_verifies_until_the_issuer_revokes_it() {
    let out = tempfile::tempdir().unwrap();
    let (outcome, _network) =
        weft_demo_credential_qr::run(Some(out.path()), &out.path().join("net"), false, |line| {
            println!("{line}")
        })
        .await
        .unwrap();
    assert!(outcome.verified_before);
    assert!(outcome.after_revocation.iter().any(|r| r == "revoked"));
    // The QR code is real: the PNG written for the holder decodes back to an envelope.
    let png = std::fs::read(out.path().join("credential-qr.png")).unwrap();
    let text = weft_did::qr::decode_qr_image(&png).unwrap();
    assert!(text.starts_with("WEFT1:"), "{text}");
    assert_eq!(text.len(), outcome.envelope_chars);
}
