-- One-time records that must survive a restart of the API: presentation challenges issued by
-- POST /challenges (consumed by their first use), wallets' answers to presentation requests
-- (kept for the verifier page until they expire) and QR references served once by GET /q/{token}.
-- Expired rows are purged periodically; consumption is a single UPDATE / DELETE statement.
CREATE TABLE vp_challenges (
    challenge  TEXT PRIMARY KEY,
    expires_ms BIGINT NOT NULL,
    used       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX vp_challenges_expiry ON vp_challenges (expires_ms);

CREATE TABLE vp_answers (
    challenge  TEXT PRIMARY KEY,
    answer     TEXT NOT NULL,
    expires_ms BIGINT NOT NULL
);
CREATE INDEX vp_answers_expiry ON vp_answers (expires_ms);

CREATE TABLE qr_refs (
    token      TEXT PRIMARY KEY,
    payload    TEXT NOT NULL,
    expires_ms BIGINT NOT NULL
);
CREATE INDEX qr_refs_expiry ON qr_refs (expires_ms);
