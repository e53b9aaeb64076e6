//! QR envelopes: encode → PNG → decode round trips, tampering, strict envelope errors, the
//! 600-byte rule and image-decoding limits.

use std::io::Cursor;

use serde_json::json;
use weft_chain::Keypair;
use weft_did::credential::predicate::Predicate;
use weft_did::credential::sd_jwt::{self, IssueOptions, VerifyOptions};
use weft_did::qr::{
    decode_envelope, decode_qr_image, encode_envelope, encode_envelope_unchecked,
    encode_or_reference, qr_code, render_png, render_svg, EnvelopeError, Payload,
    PresentationRequest, QrError, RequestedPredicate, MAX_INLINE_ENVELOPE, PREFIX,
};

const KID: &str = "did:key:issuer#k";

fn sd_presentation() -> (String, Keypair) {
    let issuer = Keypair::from_seed(&[1; 32]);
    let holder = Keypair::from_seed(&[2; 32]);
    let hk = holder.public_key();
    let claims = json!({"age_over_18": true, "nm": "Ada"});
    let sd = sd_jwt::issue(
        claims.as_object().unwrap(),
        &["age_over_18", "nm"],
        &issuer,
        &IssueOptions {
            issuer: "did:key:issuer",
            kid: KID,
            vct: None,
            holder_key: &hk,
            iat: 1000,
            exp: None,
            decoys: 0,
        },
    )
    .unwrap();
    let p = sd_jwt::present(&sd, &["age_over_18"], &holder, "nonce", "v", 1000).unwrap();
    (p, issuer)
}

fn verify_sd(p: &str, issuer: &Keypair) -> Result<sd_jwt::Verified, sd_jwt::SdJwtError> {
    let pk = issuer.public_key();
    sd_jwt::verify(
        p,
        move |_| Ok(pk),
        &VerifyOptions {
            nonce: "nonce",
            aud: "v",
            now: 1000,
            max_kb_age: 60,
            leeway: 0,
        },
    )
}

fn request() -> Payload {
    Payload::Request(PresentationRequest {
        challenge: "c-12345".into(),
        domain: "verifier.example".into(),
        claims: vec!["given_name".into()],
        predicates: vec![RequestedPredicate {
            claim: "age".into(),
            predicate: Predicate::AtLeast { value: 18 },
        }],
        response_url: "https://verifier.example/r/1".into(),
        expires: 1_900_000_000,
    })
}

#[test]
fn png_round_trip_of_an_sd_jwt_presentation() {
    let (p, issuer) = sd_presentation();
    let payload = Payload::SdJwt(p.clone());
    // Two Ed25519 signatures and a holder key do not fit in 600 bytes: the rule sends an SD-JWT
    // presentation by reference.
    assert!(matches!(
        encode_envelope(&payload),
        Err(EnvelopeError::TooLargeUseReference(_))
    ));
    // The unchecked encoder (a larger, still readable code) round-trips through a PNG.
    let text = encode_envelope_unchecked(&payload).unwrap();
    assert!(text.starts_with(PREFIX));
    let png = render_png(&text).unwrap();
    let read = decode_qr_image(&png).unwrap();
    assert_eq!(read, text);
    let back = decode_envelope(&read).unwrap();
    assert_eq!(back, payload);
    let Payload::SdJwt(s) = back else { panic!() };
    assert_eq!(verify_sd(&s, &issuer).unwrap().claims["age_over_18"], true);
}

#[test]
fn request_round_trip_and_svg() {
    let text = encode_envelope(&request()).unwrap();
    let png = render_png(&text).unwrap();
    assert_eq!(
        decode_envelope(&decode_qr_image(&png).unwrap()).unwrap(),
        request()
    );
    let svg = render_svg(&text).unwrap();
    assert!(svg.contains("<svg") && svg.contains("</svg>"));
}

#[test]
fn rendering_uses_alphanumeric_mode_at_level_q() {
    let text = encode_envelope(&request()).unwrap();
    let ours = qr_code(&text).unwrap();
    assert_eq!(ours.error_correction_level(), qrcode::EcLevel::Q);
    // Byte mode for the same text needs a strictly larger symbol.
    let mut bits = None;
    for v in 1..=40 {
        let mut b = qrcode::bits::Bits::new(qrcode::Version::Normal(v));
        if b.push_byte_data(text.as_bytes()).is_ok()
            && b.push_terminator(qrcode::EcLevel::Q).is_ok()
        {
            bits = Some(b);
            break;
        }
    }
    let byte_mode = qrcode::QrCode::with_bits(bits.unwrap(), qrcode::EcLevel::Q).unwrap();
    assert!(
        ours.width() < byte_mode.width(),
        "{} vs {}",
        ours.width(),
        byte_mode.width()
    );
    // Lowercase text cannot be put in alphanumeric mode.
    assert!(matches!(qr_code("WEFT1:abc"), Err(QrError::Render(_))));
}

#[test]
fn one_changed_character_is_rejected() {
    let (p, issuer) = sd_presentation();
    let text = encode_envelope_unchecked(&Payload::SdJwt(p)).unwrap();
    let alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    let mut rejected_by_envelope = 0;
    let mut rejected_by_signature = 0;
    let positions: Vec<usize> = (PREFIX.len()..text.len()).step_by(7).collect();
    for (n, i) in positions.iter().enumerate() {
        let old = text.as_bytes()[*i] as char;
        let new = alphabet
            .chars()
            .cycle()
            .skip(n % 45)
            .find(|c| *c != old)
            .unwrap();
        let mut changed = text.clone();
        changed.replace_range(*i..*i + 1, &new.to_string());
        // Re-render and read back: the QR layer transports the change faithfully.
        let read = decode_qr_image(&render_png(&changed).unwrap()).unwrap();
        assert_eq!(read, changed);
        match decode_envelope(&read) {
            Err(_) => rejected_by_envelope += 1,
            Ok(Payload::SdJwt(s)) => {
                assert!(
                    verify_sd(&s, &issuer).is_err(),
                    "changed at {i} still verifies"
                );
                rejected_by_signature += 1;
            }
            Ok(other) => panic!("changed envelope decoded as {other:?}"),
        }
    }
    assert_eq!(
        rejected_by_envelope + rejected_by_signature,
        positions.len()
    );
    assert!(rejected_by_envelope > 0);
}

#[test]
fn strict_envelope_errors() {
    let good = encode_envelope(&request()).unwrap();
    assert_eq!(
        decode_envelope(&good[PREFIX.len()..]),
        Err(EnvelopeError::MissingPrefix)
    );
    assert_eq!(
        decode_envelope("weft1:ABC"),
        Err(EnvelopeError::MissingPrefix)
    );
    assert_eq!(decode_envelope("WEFT1:::::"), Err(EnvelopeError::BadBase45));
    assert_eq!(decode_envelope("WEFT1:A"), Err(EnvelopeError::BadBase45));
    // Valid base45 of bytes that are not deflate.
    let junk = format!("{PREFIX}{}", base45::encode([0xff, 0xff, 0xff, 0xff]));
    assert_eq!(decode_envelope(&junk), Err(EnvelopeError::Inflate));
    // Valid deflate of non-CBOR.
    let deflated = deflate(b"\xff\xfe not cbor");
    let text = format!("{PREFIX}{}", base45::encode(deflated));
    assert!(matches!(
        decode_envelope(&text),
        Err(EnvelopeError::BadCbor(_))
    ));
    // CBOR of another version, and of an unknown payload tag.
    let text = envelope_of(&json!({"v": 2, "p": {"t": "vc", "c": {}}}));
    assert_eq!(
        decode_envelope(&text),
        Err(EnvelopeError::UnknownVersion(2))
    );
    let text = envelope_of(&json!({"v": 1, "p": {"t": "zz", "c": {}}}));
    assert!(matches!(
        decode_envelope(&text),
        Err(EnvelopeError::BadCbor(_))
    ));
    // A zip bomb: 1 MiB of zeros deflates to about a kilobyte.
    let bomb = deflate(&vec![0u8; 1 << 20]);
    let text = format!("{PREFIX}{}", base45::encode(bomb));
    assert_eq!(decode_envelope(&text), Err(EnvelopeError::InflatedTooLarge));
    assert_eq!(
        decode_envelope(&format!("{PREFIX}{}", "0".repeat(5000))),
        Err(EnvelopeError::TooLong)
    );
}

fn deflate(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn envelope_of(v: &serde_json::Value) -> String {
    let mut cbor = Vec::new();
    ciborium::into_writer(v, &mut cbor).unwrap();
    format!("{PREFIX}{}", base45::encode(deflate(&cbor)))
}

#[test]
fn the_600_byte_rule() {
    // Random-looking content does not compress.
    let big: String = (0..2000u32)
        .map(|i| format!("{:x}", i.wrapping_mul(2_654_435_761)))
        .collect();
    let payload = Payload::Credential(json!({"blob": big}));
    let n = encode_envelope_unchecked(&payload).unwrap().len();
    assert!(n > MAX_INLINE_ENVELOPE);
    assert_eq!(
        encode_envelope(&payload),
        Err(EnvelopeError::TooLargeUseReference(n))
    );
    let text = encode_or_reference(&payload, |_| {
        Ok::<_, ()>(Payload::Reference {
            url: "https://w.example/q/AbC123".into(),
            expires: 1_900_000_000,
        })
    })
    .unwrap()
    .unwrap();
    assert!(matches!(
        decode_envelope(&text),
        Ok(Payload::Reference { .. })
    ));
    // Small payloads stay inline and never call the closure.
    let small = Payload::Credential(json!({"a": 1}));
    let text = encode_or_reference(&small, |_| Err("must not be called"))
        .unwrap()
        .unwrap();
    assert_eq!(decode_envelope(&text).unwrap(), small);
}

#[test]
fn image_errors() {
    assert_eq!(
        decode_qr_image(b"garbage bytes, not an image"),
        Err(QrError::NotAnImage)
    );
    assert_eq!(decode_qr_image(b""), Err(QrError::NotAnImage));
    // A truncated PNG.
    let png = render_png("WEFT1:ABC").unwrap();
    assert_eq!(decode_qr_image(&png[..40]), Err(QrError::NotAnImage));
    // A blank image.
    assert_eq!(decode_qr_image(&blank_png(64, 64)), Err(QrError::NoCode));
    // An image whose header claims a huge size.
    assert_eq!(
        decode_qr_image(&blank_png(5000, 1)),
        Err(QrError::ImageTooLarge)
    );
    assert_eq!(
        decode_qr_image(&vec![0u8; weft_did::qr::MAX_IMAGE_BYTES + 1]),
        Err(QrError::ImageTooLarge)
    );
    // Two codes side by side.
    let a = image::load_from_memory(&render_png("WEFT1:AAA").unwrap())
        .unwrap()
        .to_luma8();
    let mut two = image::GrayImage::from_pixel(a.width() * 2, a.height(), image::Luma([255]));
    image::imageops::replace(&mut two, &a, 0, 0);
    image::imageops::replace(&mut two, &a, i64::from(a.width()), 0);
    let mut bytes = Vec::new();
    two.write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    assert_eq!(decode_qr_image(&bytes), Err(QrError::MultipleCodes(2)));
}

fn blank_png(w: u32, h: u32) -> Vec<u8> {
    let img = image::GrayImage::from_pixel(w, h, image::Luma([255]));
    let mut bytes = Vec::new();
    img.write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    bytes
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn decode_envelope_never_panics(s in "\\PC{0,300}") {
            let _ = decode_envelope(&s);
        }

        #[test]
        fn decode_prefixed_base45_never_panics(s in "[0-9A-Z $%*+./:-]{0,400}") {
            let _ = decode_envelope(&format!("{PREFIX}{s}"));
        }

        #[test]
        fn decode_image_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode_qr_image(&bytes);
        }

        #[test]
        fn envelope_round_trip(c in "[a-z]{0,40}", e in any::<i64>()) {
            let p = Payload::Reference { url: c, expires: e };
            prop_assert_eq!(decode_envelope(&encode_envelope(&p).unwrap()).unwrap(), p);
        }
    }
}

/// A phone photo of a QR code is usually a JPEG; browsers also offer WebP and GIF. Each decodes
/// to the same envelope as the PNG it was converted from.
#[test]
fn jpeg_webp_and_gif_images_of_a_qr_code_decode() {
    let text = "WEFT1:THE-SAME-TEXT-IN-EVERY-FORMAT-0123456789";
    let png = weft_did::qr::render_png(text).unwrap();
    let img = image::load_from_memory(&png).unwrap();
    for format in [
        image::ImageFormat::Jpeg,
        image::ImageFormat::WebP,
        image::ImageFormat::Gif,
    ] {
        let mut bytes = std::io::Cursor::new(Vec::new());
        let converted = match format {
            // The JPEG and GIF encoders take RGB(A); WebP's lossless encoder takes Luma too.
            image::ImageFormat::WebP => image::DynamicImage::ImageRgba8(img.to_rgba8()),
            _ => image::DynamicImage::ImageRgb8(img.to_rgb8()),
        };
        converted.write_to(&mut bytes, format).unwrap();
        let decoded = weft_did::qr::decode_qr_image(bytes.get_ref())
            .unwrap_or_else(|e| panic!("{format:?}: {e}"));
        assert_eq!(decoded, text, "{format:?}");
    }
}
