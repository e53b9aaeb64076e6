-- Bitstring status lists published by this node: which tenant key owns each on-chain list,
-- the status list credential URL, and the index allocator (a persistent counter mapped through
-- a random affine permutation of [0, length), so indexes are never handed out twice).
CREATE TABLE status_lists (
    list_id    TEXT PRIMARY KEY,
    tenant     TEXT NOT NULL,
    key_id     TEXT NOT NULL,
    issuer_did TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    length     BIGINT NOT NULL,
    url        TEXT NOT NULL,
    next_seq   BIGINT NOT NULL,
    perm_mul   BIGINT NOT NULL,
    perm_add   BIGINT NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE INDEX status_lists_issuer ON status_lists (tenant, issuer_did, purpose);

-- Which status entry each issued credential got (credential id -> list, index).
CREATE TABLE status_entries (
    tenant        TEXT NOT NULL,
    credential_id TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    list_id       TEXT NOT NULL,
    idx           BIGINT NOT NULL,
    PRIMARY KEY (tenant, credential_id, purpose)
);

-- Credential hashes accepted for anchoring and not yet anchored (re-anchored on restart).
CREATE TABLE evidence_pending (
    hash       TEXT NOT NULL,
    tenant     TEXT NOT NULL,
    key_id     TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (hash, tenant, key_id)
);

-- Anchored hashes and their inclusion proofs (first anchoring wins).
CREATE TABLE evidence_proofs (
    hash   TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    batch  BIGINT NOT NULL,
    idx    BIGINT NOT NULL,
    count  BIGINT NOT NULL,
    root   TEXT NOT NULL,
    path   TEXT NOT NULL
);
