-- Bearer tokens: only the SHA-256 of each token is stored.
CREATE TABLE api_tokens (
    token_id   TEXT PRIMARY KEY,
    token_hash BYTEA NOT NULL UNIQUE,
    tenant     TEXT NOT NULL,
    roles      TEXT NOT NULL,
    label      TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    revoked_ms BIGINT
);
CREATE INDEX api_tokens_tenant ON api_tokens (tenant);

-- Custodied signing keys: the seed sealed with AES-256-GCM, bound to (tenant, key_id) by AAD.
CREATE TABLE custody_keys (
    tenant     TEXT NOT NULL,
    key_id     TEXT NOT NULL,
    label      TEXT NOT NULL,
    public_key TEXT NOT NULL,
    address    TEXT NOT NULL,
    nonce      BYTEA NOT NULL,
    ciphertext BYTEA NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (tenant, key_id)
);
