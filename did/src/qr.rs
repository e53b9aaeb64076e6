//! QR envelopes: `WEFT1:` + base45(deflate(CBOR(envelope))), rendered in QR alphanumeric mode at
//! error-correction level Q, and decoded back from images.
//!
//! The CBOR envelope is a map `{"v": 1, "p": <payload>}`; [`Payload`] is a small tagged enum
//! (`{"t": "vc"|"vp"|"sd"|"ref"|"req", "c": …}`): an inline credential, presentation or SD-JWT
//! presentation (holder shows), a by-reference pointer (short URL with a one-time token) for
//! anything whose envelope would exceed [`MAX_INLINE_ENVELOPE`] bytes, or a verifier's
//! [`PresentationRequest`] (verifier shows; the wallet answers over HTTP).
//!
//! Decoding is strict and bounded: the prefix is required, base45 must be exact, inflation stops at
//! [`MAX_INFLATED`] bytes (no zip bombs), CBOR must match the schema, and the version must be 1.
//! Image decoding refuses non-images, inputs over [`MAX_IMAGE_BYTES`] or [`MAX_IMAGE_DIMENSION`]
//! pixels a side (checked from the header before decoding pixels), images with no code and
//! images with more than one.
//!
//! base45's alphabet is exactly the QR alphanumeric set, and so is `WEFT1:`, so [`render_png`] and
//! [`render_svg`] push the whole text as one alphanumeric segment (5.5 bits a character).

use std::io::{Cursor, Read, Write};

use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use qrcode::bits::Bits;
use qrcode::{EcLevel, QrCode, Version};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The envelope prefix (scheme and version).
pub const PREFIX: &str = "WEFT1:";
/// The envelope version inside the CBOR.
pub const ENVELOPE_VERSION: u8 = 1;
/// Largest envelope text carried inline; larger payloads go by reference.
pub const MAX_INLINE_ENVELOPE: usize = 600;
/// Largest decompressed CBOR accepted.
pub const MAX_INFLATED: usize = 64 * 1024;
/// Largest envelope text accepted by [`decode_envelope`] (a version-40 QR holds 4,296
/// alphanumeric characters).
pub const MAX_ENVELOPE_TEXT: usize = 4296;
/// Largest image accepted by [`decode_qr_image`], in bytes.
pub const MAX_IMAGE_BYTES: usize = 4 * 1024 * 1024;
/// Largest image side accepted by [`decode_qr_image`], in pixels.
pub const MAX_IMAGE_DIMENSION: u32 = 4096;
/// Pixels per QR module in [`render_png`] and [`render_svg`].
pub const MODULE_PIXELS: u32 = 8;

/// Why an envelope could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The text does not start with `WEFT1:`.
    #[error("missing WEFT1: prefix")]
    MissingPrefix,
    /// The text is longer than [`MAX_ENVELOPE_TEXT`].
    #[error("envelope text longer than {MAX_ENVELOPE_TEXT} characters")]
    TooLong,
    /// The body is not valid base45.
    #[error("invalid base45")]
    BadBase45,
    /// The body does not inflate.
    #[error("invalid deflate stream")]
    Inflate,
    /// The body inflates to more than [`MAX_INFLATED`] bytes.
    #[error("decompressed payload larger than {MAX_INFLATED} bytes")]
    InflatedTooLarge,
    /// The CBOR is malformed or does not match the envelope schema.
    #[error("invalid CBOR envelope: {0}")]
    BadCbor(String),
    /// The envelope version is not 1.
    #[error("unknown envelope version {0}")]
    UnknownVersion(u64),
    /// The envelope would exceed [`MAX_INLINE_ENVELOPE`] bytes: send it by reference.
    #[error("envelope of {0} bytes exceeds {MAX_INLINE_ENVELOPE}; send the payload by reference")]
    TooLargeUseReference(usize),
    /// The payload could not be serialised.
    #[error("cannot encode payload: {0}")]
    Encode(String),
}

/// Why a QR code could not be rendered or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    /// The text cannot be put in an alphanumeric QR code at level Q (bad characters or too long).
    #[error("cannot render QR code: {0}")]
    Render(String),
    /// The bytes are not an image of a supported format.
    #[error("not a supported image")]
    NotAnImage,
    /// The image exceeds [`MAX_IMAGE_BYTES`] or [`MAX_IMAGE_DIMENSION`].
    #[error("image too large")]
    ImageTooLarge,
    /// No QR code was found in the image.
    #[error("no QR code found")]
    NoCode,
    /// More than one QR code was found.
    #[error("more than one QR code found ({0})")]
    MultipleCodes(usize),
    /// A QR code was found but could not be read.
    #[error("unreadable QR code: {0}")]
    Unreadable(String),
}

/// A verifier's predicate request: prove `predicate` about the committed `claim`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestedPredicate {
    /// Claim name (a `weft:commitments` entry).
    pub claim: String,
    /// The statement to prove.
    pub predicate: crate::credential::predicate::Predicate,
}

/// What a verifier asks for (shown as a QR code; the wallet answers at `response_url`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresentationRequest {
    /// The verifier's challenge (nonce).
    pub challenge: String,
    /// The verifier's domain (audience).
    pub domain: String,
    /// Claim paths to disclose.
    #[serde(default)]
    pub claims: Vec<String>,
    /// Predicates to prove.
    #[serde(default)]
    pub predicates: Vec<RequestedPredicate>,
    /// Where the wallet posts the presentation.
    pub response_url: String,
    /// Expiry of the request (seconds since the epoch).
    pub expires: i64,
}

/// The content of an envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "c")]
pub enum Payload {
    /// An inline verifiable credential (JSON).
    #[serde(rename = "vc")]
    Credential(Value),
    /// An inline verifiable presentation (JSON).
    #[serde(rename = "vp")]
    Presentation(Value),
    /// An inline SD-JWT presentation (`<JWT>~…~<KB-JWT>`).
    #[serde(rename = "sd")]
    SdJwt(String),
    /// A pointer: fetch the payload once from `url` before `expires`.
    #[serde(rename = "ref")]
    Reference {
        /// Short URL with a one-time token.
        url: String,
        /// Expiry (seconds since the epoch).
        expires: i64,
    },
    /// A verifier's presentation request.
    #[serde(rename = "req")]
    Request(PresentationRequest),
}

#[derive(Serialize)]
struct EnvelopeOut<'a> {
    v: u8,
    p: &'a Payload,
}

#[derive(Deserialize)]
struct EnvelopeIn {
    v: u64,
    p: ciborium::Value,
}

/// Encodes `payload` as envelope text, whatever its length (see [`encode_envelope`]).
pub fn encode_envelope_unchecked(payload: &Payload) -> Result<String, EnvelopeError> {
    let mut cbor = Vec::new();
    ciborium::into_writer(
        &EnvelopeOut {
            v: ENVELOPE_VERSION,
            p: payload,
        },
        &mut cbor,
    )
    .map_err(|e| EnvelopeError::Encode(e.to_string()))?;
    if cbor.len() > MAX_INFLATED {
        return Err(EnvelopeError::InflatedTooLarge);
    }
    let mut enc = DeflateEncoder::new(Vec::new(), Compression::best());
    enc.write_all(&cbor)
        .map_err(|e| EnvelopeError::Encode(e.to_string()))?;
    let deflated = enc
        .finish()
        .map_err(|e| EnvelopeError::Encode(e.to_string()))?;
    Ok(format!("{PREFIX}{}", base45::encode(deflated)))
}

/// Encodes `payload` as `WEFT1:` + base45(deflate(CBOR)). Fails with
/// [`EnvelopeError::TooLargeUseReference`] if the text would exceed [`MAX_INLINE_ENVELOPE`].
pub fn encode_envelope(payload: &Payload) -> Result<String, EnvelopeError> {
    let text = encode_envelope_unchecked(payload)?;
    if text.len() > MAX_INLINE_ENVELOPE {
        return Err(EnvelopeError::TooLargeUseReference(text.len()));
    }
    Ok(text)
}

/// Encodes `payload` inline if it fits, otherwise calls `make_reference` (which stores the
/// payload and returns a [`Payload::Reference`]) and encodes that.
pub fn encode_or_reference<E>(
    payload: &Payload,
    make_reference: impl FnOnce(&Payload) -> Result<Payload, E>,
) -> Result<Result<String, EnvelopeError>, E> {
    match encode_envelope(payload) {
        Err(EnvelopeError::TooLargeUseReference(_)) => {
            let reference = make_reference(payload)?;
            Ok(encode_envelope(&reference))
        }
        other => Ok(other),
    }
}

/// Decodes envelope text (strictly: see the module docs).
pub fn decode_envelope(text: &str) -> Result<Payload, EnvelopeError> {
    let body = text
        .strip_prefix(PREFIX)
        .ok_or(EnvelopeError::MissingPrefix)?;
    if text.len() > MAX_ENVELOPE_TEXT {
        return Err(EnvelopeError::TooLong);
    }
    let deflated = base45::decode(body).map_err(|_| EnvelopeError::BadBase45)?;
    let mut cbor = Vec::new();
    DeflateDecoder::new(&deflated[..])
        .take(MAX_INFLATED as u64 + 1)
        .read_to_end(&mut cbor)
        .map_err(|_| EnvelopeError::Inflate)?;
    if cbor.len() > MAX_INFLATED {
        return Err(EnvelopeError::InflatedTooLarge);
    }
    let envelope: EnvelopeIn =
        ciborium::from_reader(&cbor[..]).map_err(|e| EnvelopeError::BadCbor(e.to_string()))?;
    if envelope.v != u64::from(ENVELOPE_VERSION) {
        return Err(EnvelopeError::UnknownVersion(envelope.v));
    }
    envelope
        .p
        .deserialized()
        .map_err(|e| EnvelopeError::BadCbor(e.to_string()))
}

/// The QR code of `text`: one alphanumeric segment, level Q, smallest fitting version.
pub fn qr_code(text: &str) -> Result<QrCode, QrError> {
    let data = text.as_bytes();
    let ok = data
        .iter()
        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || b" $%*+-./:".contains(b));
    if !ok {
        return Err(QrError::Render("not QR-alphanumeric text".into()));
    }
    for v in 1..=40 {
        let mut bits = Bits::new(Version::Normal(v));
        if bits.push_alphanumeric_data(data).is_err() || bits.push_terminator(EcLevel::Q).is_err() {
            continue;
        }
        return QrCode::with_bits(bits, EcLevel::Q).map_err(|e| QrError::Render(e.to_string()));
    }
    Err(QrError::Render("text too long for a QR code".into()))
}

/// Renders `text` as a PNG ([`MODULE_PIXELS`] pixels a module, 4-module quiet zone).
pub fn render_png(text: &str) -> Result<Vec<u8>, QrError> {
    let code = qr_code(text)?;
    let image = code
        .render::<image::Luma<u8>>()
        .module_dimensions(MODULE_PIXELS, MODULE_PIXELS)
        .build();
    let mut out = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .map_err(|e| QrError::Render(e.to_string()))?;
    Ok(out)
}

/// Renders `text` as an SVG document.
pub fn render_svg(text: &str) -> Result<String, QrError> {
    let code = qr_code(text)?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .module_dimensions(MODULE_PIXELS, MODULE_PIXELS)
        .build())
}

/// Reads the one QR code in an image (any format the `image` crate was built with; PNG here) and
/// returns its text.
pub fn decode_qr_image(bytes: &[u8]) -> Result<String, QrError> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(QrError::ImageTooLarge);
    }
    let format = image::guess_format(bytes).map_err(|_| QrError::NotAnImage)?;
    let reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    let (w, h) = reader.into_dimensions().map_err(|_| QrError::NotAnImage)?;
    if w > MAX_IMAGE_DIMENSION || h > MAX_IMAGE_DIMENSION {
        return Err(QrError::ImageTooLarge);
    }
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_DIMENSION);
    limits.max_image_height = Some(MAX_IMAGE_DIMENSION);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let image = reader.decode().map_err(|_| QrError::NotAnImage)?.to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    match grids.len() {
        0 => Err(QrError::NoCode),
        1 => grids[0]
            .decode()
            .map(|(_, text)| text)
            .map_err(|e| QrError::Unreadable(e.to_string())),
        n => Err(QrError::MultipleCodes(n)),
    }
}
