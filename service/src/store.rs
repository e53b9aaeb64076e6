//! The off-chain store: API tokens and custodied keys, in SQLite or PostgreSQL through sqlx.
//!
//! One code path serves both backends: an `AnyPool`, SQL restricted to the subset both accept
//! (`$n` placeholders, `TEXT`, `BIGINT`, byte strings, `RETURNING` only on `DELETE`, which
//! SQLite ≥ 3.35 and PostgreSQL share), no compile-time checked macros. The URL scheme picks the backend (`sqlite:` or `postgres:`). Each backend has its own
//! migrations (`api/migrations/<backend>/`), embedded in the binary and applied by sqlx's
//! migrator on [`Store::connect`].
//!
//! One-time records (migration 0008): presentation challenges, wallets' answers and QR
//! references live here rather than in process memory, so a restart loses none of them. Each is
//! consumed by one statement (an `UPDATE ... WHERE used = 0`, a `DELETE ... RETURNING`), so two
//! concurrent uses cannot both succeed; rows are bounded per table (the caller answers 503 when
//! full) and expired rows are purged at most every [`PURGE_INTERVAL_MS`] by the next write.
//!
//! **Invariant:** the store never sees a token or a key in the clear: tokens are stored as their
//! SHA-256, keys as AES-GCM ciphertext sealed by [`crate::keystore`].

use std::borrow::Cow;

use futures_util::future::BoxFuture;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::{AnyPool, Row};

/// Store failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is not `sqlite:` or `postgres:`.
    #[error("unsupported database URL scheme (expected sqlite: or postgres:)")]
    UnsupportedUrl,
    /// A row with the same key already exists.
    #[error("already exists")]
    Conflict,
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The backend a URL selects.
    pub fn of_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }

    fn migrations(self) -> &'static [(i64, &'static str, &'static str)] {
        match self {
            Backend::Sqlite => &[
                (
                    1,
                    "init",
                    include_str!("../migrations/sqlite/0001_init.sql"),
                ),
                (
                    7,
                    "status_evidence",
                    include_str!("../migrations/sqlite/0007_status_evidence.sql"),
                ),
                (
                    8,
                    "one_time",
                    include_str!("../migrations/sqlite/0008_one_time.sql"),
                ),
            ],
            Backend::Postgres => &[
                (
                    1,
                    "init",
                    include_str!("../migrations/postgres/0001_init.sql"),
                ),
                (
                    7,
                    "status_evidence",
                    include_str!("../migrations/postgres/0007_status_evidence.sql"),
                ),
                (
                    8,
                    "one_time",
                    include_str!("../migrations/postgres/0008_one_time.sql"),
                ),
            ],
        }
    }
}

/// The embedded migrations of one backend, as a sqlx migration source.
#[derive(Debug)]
struct Embedded(Backend);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(self) -> BoxFuture<'s, Result<Vec<Migration>, sqlx::error::BoxDynError>> {
        Box::pin(async move {
            Ok(self
                .0
                .migrations()
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(description),
                        MigrationType::Simple,
                        Cow::Borrowed(sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// The outcome of [`Store::revoke_token_keeping_admin`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// Revoked now.
    Revoked,
    /// No unrevoked token has that id.
    NotFound,
    /// Refused: it is the last unrevoked admin token of the protected tenant.
    LastAdmin,
}

/// An API token's record (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// Public identifier (safe to show and log).
    pub token_id: String,
    /// The tenant (organisation) the token acts for.
    pub tenant: String,
    /// Role names.
    pub roles: Vec<String>,
    /// Free-form label.
    pub label: String,
    /// Creation time, Unix milliseconds.
    pub created_ms: i64,
    /// Revocation time, if revoked.
    pub revoked_ms: Option<i64>,
}

/// A custodied key as stored: public parts plus the sealed seed.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedKey {
    /// Owning tenant.
    pub tenant: String,
    /// Key id, unique within the tenant.
    pub key_id: String,
    /// Free-form label.
    pub label: String,
    /// Ed25519 public key (hex form of `weft_chain::PublicKey`).
    pub public_key: String,
    /// Account address.
    pub address: String,
    /// AES-GCM nonce.
    pub nonce: Vec<u8>,
    /// AES-GCM ciphertext and tag of the seed.
    pub ciphertext: Vec<u8>,
    /// Creation time, Unix milliseconds.
    pub created_ms: i64,
}

impl std::fmt::Debug for SealedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedKey")
            .field("tenant", &self.tenant)
            .field("key_id", &self.key_id)
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

/// The off-chain store (cheap to clone: the pool is shared).
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// When expired one-time records were last purged (Unix ms).
    last_purge_ms: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

/// The URL of a SQLite file (created if missing).
pub fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

impl Store {
    /// Connects to `url` and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let backend = Backend::of_url(url)?;
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 10,
            })
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect(url)
            .await?;
        if backend == Backend::Sqlite {
            // Readers do not block the writer; persistent in the file.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await?;
        }
        Migrator::new(Embedded(backend)).await?.run(&pool).await?;
        Ok(Store {
            pool,
            backend,
            last_purge_ms: Default::default(),
        })
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// The connection pool, for the stores of other parts (status lists, evidence).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Open connections (for metrics).
    pub fn pool_size(&self) -> u32 {
        self.pool.size()
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    // ---- tokens ----

    /// Stores a new token record under the token's hash.
    pub async fn insert_token(&self, record: &TokenRecord, hash: &[u8]) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO api_tokens (token_id, token_hash, tenant, roles, label, created_ms, \
             revoked_ms) VALUES ($1, $2, $3, $4, $5, $6, NULL)",
        )
        .bind(&record.token_id)
        .bind(hash.to_vec())
        .bind(&record.tenant)
        .bind(record.roles.join(","))
        .bind(&record.label)
        .bind(record.created_ms)
        .execute(&self.pool)
        .await
        .map_err(conflict)?;
        Ok(())
    }

    /// The token whose hash is `hash` (revoked ones included: the caller decides).
    pub async fn token_by_hash(&self, hash: &[u8]) -> Result<Option<TokenRecord>, StoreError> {
        let row = sqlx::query(&format!("{TOKEN_SELECT} WHERE token_hash = $1"))
            .bind(hash.to_vec())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| token_row(&r)).transpose()
    }

    /// One token by id.
    pub async fn token(&self, token_id: &str) -> Result<Option<TokenRecord>, StoreError> {
        let row = sqlx::query(&format!("{TOKEN_SELECT} WHERE token_id = $1"))
            .bind(token_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| token_row(&r)).transpose()
    }

    /// Tokens of `tenant` (every tenant if `None`), oldest first.
    pub async fn list_tokens(&self, tenant: Option<&str>) -> Result<Vec<TokenRecord>, StoreError> {
        let rows = match tenant {
            Some(tenant) => {
                sqlx::query(&format!(
                    "{TOKEN_SELECT} WHERE tenant = $1 ORDER BY created_ms, token_id"
                ))
                .bind(tenant)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!("{TOKEN_SELECT} ORDER BY created_ms, token_id"))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(token_row).collect()
    }

    /// Marks a token revoked unless it is the last unrevoked `admin` token of `keep_admin_of`
    /// (the operator tenant: without an admin token nobody can manage tokens any more). The
    /// check and the write are one statement, so two revocations racing on SQLite cannot both
    /// pass it; on PostgreSQL (read committed) two concurrent revocations of the last *two*
    /// admin tokens could still both pass, which needs two admins acting at once.
    pub async fn revoke_token_keeping_admin(
        &self,
        token_id: &str,
        now_ms: i64,
        keep_admin_of: &str,
    ) -> Result<Revocation, StoreError> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_ms = $1 WHERE token_id = $2 AND revoked_ms IS NULL \
             AND NOT (tenant = $3 AND (',' || roles || ',') LIKE '%,admin,%' \
             AND (SELECT COUNT(*) FROM api_tokens WHERE tenant = $3 AND revoked_ms IS NULL \
             AND (',' || roles || ',') LIKE '%,admin,%') <= 1)",
        )
        .bind(now_ms)
        .bind(token_id)
        .bind(keep_admin_of)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(Revocation::Revoked);
        }
        Ok(match self.token(token_id).await? {
            Some(t) if t.revoked_ms.is_none() => Revocation::LastAdmin,
            _ => Revocation::NotFound,
        })
    }

    /// Marks a token revoked. Returns false if no unrevoked token has that id.
    pub async fn revoke_token(&self, token_id: &str, now_ms: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_ms = $1 WHERE token_id = $2 AND revoked_ms IS NULL",
        )
        .bind(now_ms)
        .bind(token_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    // ---- custodied keys ----

    /// Stores a sealed key; [`StoreError::Conflict`] if the tenant already has that key id.
    pub async fn insert_key(&self, key: &SealedKey) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO custody_keys (tenant, key_id, label, public_key, address, nonce, \
             ciphertext, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&key.tenant)
        .bind(&key.key_id)
        .bind(&key.label)
        .bind(&key.public_key)
        .bind(&key.address)
        .bind(key.nonce.clone())
        .bind(key.ciphertext.clone())
        .bind(key.created_ms)
        .execute(&self.pool)
        .await
        .map_err(conflict)?;
        Ok(())
    }

    /// The tenant's key `key_id`.
    pub async fn key(&self, tenant: &str, key_id: &str) -> Result<Option<SealedKey>, StoreError> {
        let row = sqlx::query(&format!("{KEY_SELECT} WHERE tenant = $1 AND key_id = $2"))
            .bind(tenant)
            .bind(key_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| key_row(&r)).transpose()
    }

    /// The tenant's keys, oldest first.
    pub async fn list_keys(&self, tenant: &str) -> Result<Vec<SealedKey>, StoreError> {
        let rows = sqlx::query(&format!(
            "{KEY_SELECT} WHERE tenant = $1 ORDER BY created_ms, key_id"
        ))
        .bind(tenant)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(key_row).collect()
    }
}

/// Expired one-time records are purged at most this often (by the next write).
pub const PURGE_INTERVAL_MS: i64 = 60_000;

/// What presenting a server-issued challenge found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeUse {
    /// Issued here, unexpired and unused: now consumed.
    Fresh,
    /// Issued here, unexpired and already used.
    Replayed,
    /// Never issued here, or expired.
    Unknown,
}

/// The one-time tables and what bounds them.
#[derive(Debug, Clone, Copy)]
enum OneTime {
    Challenges,
    Answers,
    Refs,
}

impl OneTime {
    fn table(self) -> &'static str {
        match self {
            OneTime::Challenges => "vp_challenges",
            OneTime::Answers => "vp_answers",
            OneTime::Refs => "qr_refs",
        }
    }
}

impl Store {
    // ---- one-time records (migration 0008) ----

    /// Deletes expired challenges, answers and references. Returns how many rows went.
    pub async fn purge_expired(&self, now_ms: i64) -> Result<u64, StoreError> {
        let mut gone = 0;
        for t in [OneTime::Challenges, OneTime::Answers, OneTime::Refs] {
            gone += sqlx::query(&format!("DELETE FROM {} WHERE expires_ms <= $1", t.table()))
                .bind(now_ms)
                .execute(&self.pool)
                .await?
                .rows_affected();
        }
        self.last_purge_ms
            .store(now_ms, std::sync::atomic::Ordering::Relaxed);
        Ok(gone)
    }

    /// Purges if the last purge is older than [`PURGE_INTERVAL_MS`].
    async fn purge_if_due(&self, now_ms: i64) -> Result<(), StoreError> {
        let last = self
            .last_purge_ms
            .load(std::sync::atomic::Ordering::Relaxed);
        if now_ms - last >= PURGE_INTERVAL_MS {
            self.purge_expired(now_ms).await?;
        }
        Ok(())
    }

    /// Inserts a row with one statement that also checks the table holds fewer than `max` rows;
    /// when full, purges expired rows and tries once more. `false`: still full.
    async fn insert_bounded(
        &self,
        insert: &str,
        binds: (&str, Option<&str>, i64),
        max: usize,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        self.purge_if_due(now_ms).await?;
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        for attempt in 0..2 {
            let mut q = sqlx::query(insert).bind(binds.0.to_string());
            if let Some(text) = binds.1 {
                q = q.bind(text.to_string());
            }
            let done = q
                .bind(binds.2)
                .bind(max)
                .execute(&self.pool)
                .await
                .map_err(conflict)?;
            if done.rows_affected() == 1 {
                return Ok(true);
            }
            if attempt == 0 {
                self.purge_expired(now_ms).await?;
            }
        }
        Ok(false)
    }

    /// Records a fresh challenge valid until `expires_ms`. `false` when `max` are outstanding.
    pub async fn insert_challenge(
        &self,
        challenge: &str,
        expires_ms: i64,
        max: usize,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        self.insert_bounded(
            "INSERT INTO vp_challenges (challenge, expires_ms, used) SELECT $1, $2, 0              WHERE (SELECT COUNT(*) FROM vp_challenges) < $3",
            (challenge, None, expires_ms),
            max,
            now_ms,
        )
        .await
    }

    /// Consumes `challenge`: one `UPDATE` marks it used if it is live and unused, so of two
    /// concurrent uses exactly one is [`ChallengeUse::Fresh`].
    pub async fn use_challenge(
        &self,
        challenge: &str,
        now_ms: i64,
    ) -> Result<ChallengeUse, StoreError> {
        let done = sqlx::query(
            "UPDATE vp_challenges SET used = 1              WHERE challenge = $1 AND used = 0 AND expires_ms > $2",
        )
        .bind(challenge)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(ChallengeUse::Fresh);
        }
        let live =
            sqlx::query("SELECT used FROM vp_challenges WHERE challenge = $1 AND expires_ms > $2")
                .bind(challenge)
                .bind(now_ms)
                .fetch_optional(&self.pool)
                .await?;
        Ok(match live {
            Some(_) => ChallengeUse::Replayed,
            None => ChallengeUse::Unknown,
        })
    }

    /// Keeps `answer` (JSON text) for `challenge` until `expires_ms`, replacing an earlier one.
    /// `false` when `max` answers are kept.
    pub async fn put_answer(
        &self,
        challenge: &str,
        answer: &str,
        expires_ms: i64,
        max: usize,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        self.insert_bounded(
            "INSERT INTO vp_answers (challenge, answer, expires_ms) SELECT $1, $2, $3              WHERE (SELECT COUNT(*) FROM vp_answers) < $4              ON CONFLICT (challenge) DO UPDATE SET answer = excluded.answer,              expires_ms = excluded.expires_ms",
            (challenge, Some(answer), expires_ms),
            max,
            now_ms,
        )
        .await
    }

    /// The unexpired answer kept for `challenge`.
    pub async fn answer(&self, challenge: &str, now_ms: i64) -> Result<Option<String>, StoreError> {
        let row =
            sqlx::query("SELECT answer FROM vp_answers WHERE challenge = $1 AND expires_ms > $2")
                .bind(challenge)
                .bind(now_ms)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| r.try_get("answer"))
            .transpose()
            .map_err(Into::into)
    }

    /// Stores `payload` (JSON text) under the one-time `token` until `expires_ms`. `false` when
    /// `max` references are kept. [`StoreError::Conflict`] if the token exists.
    pub async fn insert_ref(
        &self,
        token: &str,
        payload: &str,
        expires_ms: i64,
        max: usize,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        self.insert_bounded(
            "INSERT INTO qr_refs (token, payload, expires_ms) SELECT $1, $2, $3              WHERE (SELECT COUNT(*) FROM qr_refs) < $4",
            (token, Some(payload), expires_ms),
            max,
            now_ms,
        )
        .await
    }

    /// Takes the reference `token` out of the store (one `DELETE ... RETURNING`, so it is served
    /// at most once): its payload and expiry, expired or not.
    pub async fn take_ref(&self, token: &str) -> Result<Option<(String, i64)>, StoreError> {
        let row = sqlx::query("DELETE FROM qr_refs WHERE token = $1 RETURNING payload, expires_ms")
            .bind(token)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| -> Result<(String, i64), StoreError> {
            Ok((r.try_get("payload")?, r.try_get("expires_ms")?))
        })
        .transpose()
    }
}

const TOKEN_SELECT: &str =
    "SELECT token_id, tenant, roles, label, created_ms, revoked_ms FROM api_tokens";
const KEY_SELECT: &str = "SELECT tenant, key_id, label, public_key, address, nonce, ciphertext, \
                          created_ms FROM custody_keys";

fn token_row(row: &AnyRow) -> Result<TokenRecord, StoreError> {
    let roles: String = row.try_get("roles")?;
    Ok(TokenRecord {
        token_id: row.try_get("token_id")?,
        tenant: row.try_get("tenant")?,
        roles: roles
            .split(',')
            .filter(|r| !r.is_empty())
            .map(str::to_string)
            .collect(),
        label: row.try_get("label")?,
        created_ms: row.try_get("created_ms")?,
        revoked_ms: row.try_get("revoked_ms")?,
    })
}

fn key_row(row: &AnyRow) -> Result<SealedKey, StoreError> {
    Ok(SealedKey {
        tenant: row.try_get("tenant")?,
        key_id: row.try_get("key_id")?,
        label: row.try_get("label")?,
        public_key: row.try_get("public_key")?,
        address: row.try_get("address")?,
        nonce: row.try_get("nonce")?,
        ciphertext: row.try_get("ciphertext")?,
        created_ms: row.try_get("created_ms")?,
    })
}

fn conflict(err: sqlx::Error) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
        _ => StoreError::Database(err),
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
