//! Custom-domain verification: each client's claims on domains (the token it must publish and
//! the outcome of its last check, in `domain_claims`) and who owns a verified domain (one row
//! per domain across all tenants, in `verified_domains`).
//!
//! A client's verification state is derived when read: it owns its domain -> `verified`;
//! another client owns it -> `failed` ("another account verified this domain first"), which is
//! how the claims of the others fail when one verifies, without writing to their rows;
//! otherwise the stored outcome of its last check (`pending` before the first).

use chrono::{DateTime, Utc};
use mspdesk_api::types::{
    challenge_record_name, Branding, ChangeKind, ChangeOp, DomainVerification, VerificationStatus,
};
use mspdesk_domain::DomainName;
use ring::rand::{SecureRandom, SystemRandom};
use uuid::Uuid;

use crate::db::TenantTx;
use crate::dns::TxtAnswer;
use crate::error::{AppError, AppResult};

/// Why a claim fails when another client owns its domain.
pub const TAKEN: &str = "another account verified this domain first";

/// The columns [`ClaimCols`] reads; the query must join [`CLAIM_JOINS`] to a `branding b`.
pub(crate) const CLAIM_COLUMNS: &str = "dc.token AS claim_token, dc.status AS claim_status,
    dc.checked_at AS claim_checked_at, dc.reason AS claim_reason,
    vd.tenant_id AS owner, vd.verified_at AS owned_since";

/// Joins the claim of a branding row's custom domain and the domain's owner.
pub(crate) const CLAIM_JOINS: &str = "LEFT JOIN domain_claims dc
        ON dc.msp_id = b.msp_id AND dc.tenant_id = b.tenant_id AND dc.domain = b.custom_domain
    LEFT JOIN verified_domains vd ON vd.domain = b.custom_domain";

/// A branding row's claim on its custom domain, as read with [`CLAIM_COLUMNS`].
#[derive(Debug, Default, sqlx::FromRow)]
pub(crate) struct ClaimCols {
    claim_token: Option<String>,
    claim_status: Option<String>,
    claim_checked_at: Option<DateTime<Utc>>,
    claim_reason: Option<String>,
    owner: Option<Uuid>,
    owned_since: Option<DateTime<Utc>>,
}

impl ClaimCols {
    /// The verification state of `tenant`'s custom domain `domain` (None without a domain).
    pub(crate) fn verification(
        self,
        tenant: Uuid,
        domain: Option<&str>,
    ) -> Option<DomainVerification> {
        let domain = domain?;
        let token = self.claim_token?;
        let (status, checked_at, reason) = match self.owner {
            // A reason beside "verified": the last check could not ask DNS (see
            // `record_check`).
            Some(owner) if owner == tenant => (
                VerificationStatus::Verified,
                self.claim_checked_at,
                self.claim_reason,
            ),
            Some(_) => (
                VerificationStatus::Failed,
                self.owned_since,
                Some(TAKEN.to_owned()),
            ),
            None => match self.claim_status.as_deref() {
                Some("failed") => (
                    VerificationStatus::Failed,
                    self.claim_checked_at,
                    self.claim_reason,
                ),
                // A stored "verified" without ownership cannot outlive a release (which resets
                // the claim); read it as not yet checked.
                _ => (VerificationStatus::Pending, self.claim_checked_at, None),
            },
        };
        Some(DomainVerification {
            status,
            record_name: challenge_record_name(domain),
            record_value: token,
            checked_at,
            reason,
        })
    }
}

/// A new token: 32 bytes from the operating system's CSPRNG, as 64 hex digits.
fn new_token() -> AppResult<String> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| AppError::Internal("no random bytes for a domain token".into()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Makes sure the tenant has a claim on `domain` (keeping an existing one and its token).
async fn ensure_claim(tx: &mut TenantTx, domain: &str) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO domain_claims (tenant_id, domain, token, msp_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (msp_id, tenant_id, domain) DO NOTHING",
    )
    .bind(tx.tenant().as_uuid())
    .bind(domain)
    .bind(new_token()?)
    .bind(tx.msp().as_uuid())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Follows a change of the tenant's custom domain from `old` to `new` (called by the branding
/// update, under its lock). A new domain that another client has verified is a 409 conflict on
/// `custom_domain`. Changing or clearing the domain releases the tenant's ownership; the new
/// domain's claim starts over as pending, with the token it had if the tenant claimed it
/// before.
pub(crate) async fn follow_change(
    tx: &mut TenantTx,
    old: Option<&str>,
    new: Option<&DomainName>,
) -> AppResult<()> {
    let tenant = tx.tenant().as_uuid();
    let new = new.map(DomainName::as_str);
    if old == new {
        if let Some(domain) = new {
            ensure_claim(tx, domain).await?;
        }
        return Ok(());
    }
    sqlx::query("DELETE FROM verified_domains WHERE msp_id = $2 AND tenant_id = $1")
        .bind(tenant)
        .bind(tx.msp().as_uuid())
        .execute(tx.conn())
        .await?;
    let Some(domain) = new else {
        return Ok(());
    };
    let owned: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM verified_domains WHERE domain = $1)")
            .bind(domain)
            .fetch_one(tx.conn())
            .await?;
    if owned {
        return Err(AppError::Conflict {
            field: "custom_domain",
            detail: "another account has verified this domain, so it cannot be claimed".into(),
        });
    }
    sqlx::query(
        "INSERT INTO domain_claims (tenant_id, domain, token, msp_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (msp_id, tenant_id, domain) DO UPDATE
             SET status = 'pending', checked_at = NULL, reason = NULL",
    )
    .bind(tenant)
    .bind(domain)
    .bind(new_token()?)
    .bind(tx.msp().as_uuid())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// What a verification looks up: the tenant's custom domain, its record and the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub domain: String,
    pub record_name: String,
    pub token: String,
}

/// The tenant's custom domain to verify. None set (or one that is the Control Panel's own
/// host, or under it): 422 on `custom_domain`.
pub async fn target(tx: &mut TenantTx, public_host: Option<&DomainName>) -> AppResult<Target> {
    let domain: Option<String> = sqlx::query_scalar(
        "SELECT custom_domain FROM branding WHERE msp_id = $2 AND tenant_id = $1",
    )
    .bind(tx.tenant().as_uuid())
    .bind(tx.msp().as_uuid())
    .fetch_optional(tx.conn())
    .await?
    .flatten();
    let Some(domain) = domain else {
        return Err(AppError::validation(
            "custom_domain",
            "no custom domain is set: set one with PUT /branding, then verify it",
        ));
    };
    if let Some(host) = public_host {
        if DomainName::parse(&domain).is_ok_and(|d| d.is_at_or_under(host)) {
            return Err(reserved_error(host));
        }
    }
    ensure_claim(tx, &domain).await?;
    let token: String = sqlx::query_scalar(
        "SELECT token FROM domain_claims WHERE msp_id = $3 AND tenant_id = $1 AND domain = $2",
    )
    .bind(tx.tenant().as_uuid())
    .bind(&domain)
    .bind(tx.msp().as_uuid())
    .fetch_one(tx.conn())
    .await?;
    Ok(Target {
        record_name: challenge_record_name(&domain),
        domain,
        token,
    })
}

/// The refusal of a custom domain that is the Control Panel's own host name or under it.
pub fn reserved_error(host: &DomainName) -> AppError {
    AppError::validation(
        "custom_domain",
        format!("{host} and the names under it belong to the Control Panel itself"),
    )
}

/// Records the outcome of looking `target` up (`answer`): the token found takes the domain
/// unless another client owns it already (first to verify wins; the primary key decides between
/// concurrent verifications); not found fails with a reason and releases the tenant's
/// ownership. A lookup that got no answer at all (timeout, unreachable or failing DNS server)
/// proves nothing: a verified domain stays verified, with the failure as its reason and
/// `checked_at` still the last time the record was seen. Records the branding in the change
/// feed. Returns the branding as it now reads.
pub async fn record_check(
    tx: &mut TenantTx,
    target: &Target,
    answer: &TxtAnswer,
) -> AppResult<Branding> {
    let tenant = tx.tenant().as_uuid();
    tx.lock("branding").await?;
    if self::target(tx, None).await.ok().as_ref() != Some(target) {
        return Err(AppError::Conflict {
            field: "custom_domain",
            detail: "the custom domain changed while it was being verified; verify it again".into(),
        });
    }
    if let TxtAnswer::NoAnswer(why) = answer {
        let owned: Option<Uuid> = sqlx::query_scalar(
            "SELECT tenant_id FROM verified_domains WHERE domain = $1 AND tenant_id = $2",
        )
        .bind(&target.domain)
        .bind(tenant)
        .fetch_optional(tx.conn())
        .await?;
        if owned.is_some() {
            sqlx::query(
                "UPDATE domain_claims SET reason = $3 WHERE msp_id = $4 AND tenant_id = $1 AND domain = $2",
            )
            .bind(tenant)
            .bind(&target.domain)
            .bind(format!(
                "the last check could not look TXT {} up ({why}); the domain stays verified until a check finds the record gone",
                target.record_name
            ))
            .bind(tx.msp().as_uuid())
            .execute(tx.conn())
            .await?;
            super::changes::own(tx, ChangeKind::Branding, tenant, ChangeOp::Upsert);
            return super::branding::get(tx).await;
        }
    }
    let (status, reason) = match unmatched(target, answer) {
        None => {
            sqlx::query(
                "INSERT INTO verified_domains (domain, tenant_id, msp_id) VALUES ($1, $2, $3)
                 ON CONFLICT (domain) DO NOTHING",
            )
            .bind(&target.domain)
            .bind(tenant)
            .bind(tx.msp().as_uuid())
            .execute(tx.conn())
            .await?;
            // A new statement: it sees the row of a concurrent verification that won.
            let owner: Option<Uuid> =
                sqlx::query_scalar("SELECT tenant_id FROM verified_domains WHERE domain = $1")
                    .bind(&target.domain)
                    .fetch_optional(tx.conn())
                    .await?;
            if owner == Some(tenant) {
                ("verified", None)
            } else {
                ("failed", Some(TAKEN.to_owned()))
            }
        }
        Some(reason) => {
            sqlx::query(
                "DELETE FROM verified_domains WHERE msp_id = $3 AND tenant_id = $1 AND domain = $2",
            )
            .bind(tenant)
            .bind(&target.domain)
            .bind(tx.msp().as_uuid())
            .execute(tx.conn())
            .await?;
            ("failed", Some(reason))
        }
    };
    sqlx::query(
        "UPDATE domain_claims SET status = $3, checked_at = now(), reason = $4
         WHERE msp_id = $5 AND tenant_id = $1 AND domain = $2",
    )
    .bind(tenant)
    .bind(&target.domain)
    .bind(status)
    .bind(reason)
    .bind(tx.msp().as_uuid())
    .execute(tx.conn())
    .await?;
    super::changes::own(tx, ChangeKind::Branding, tenant, ChangeOp::Upsert);
    super::branding::get(tx).await
}

/// None when `answer` holds the token; otherwise why not: what was looked up, what was found,
/// and what to do.
fn unmatched(target: &Target, answer: &TxtAnswer) -> Option<String> {
    let Target {
        record_name, token, ..
    } = target;
    let todo =
        format!("create a TXT record {record_name} with the value {token}, then verify again");
    let found = match answer {
        TxtAnswer::Records(records) => {
            // DNS consoles differ on quoting; a value pasted with its quotes still counts.
            let holds = |r: &String| r.trim().trim_matches('"') == token.as_str();
            if records.iter().any(holds) {
                return None;
            }
            if records.is_empty() {
                "the name exists but has no TXT record".to_owned()
            } else {
                const SHOWN: usize = 5;
                let mut shown: Vec<String> = records
                    .iter()
                    .take(SHOWN)
                    .map(|r| format!("{:?}", r.chars().take(80).collect::<String>()))
                    .collect();
                if records.len() > SHOWN {
                    shown.push(format!("and {} more", records.len() - SHOWN));
                }
                format!(
                    "found {} but not this account's value",
                    shown.join(", ")
                )
            }
        }
        TxtAnswer::NoSuchName => "no such name (NXDOMAIN)".to_owned(),
        TxtAnswer::NoAnswer(why) => {
            return Some(format!(
                "looked up TXT {record_name}: {why}, so nothing was found; make sure a TXT record {record_name} holds the value {token}, then verify again"
            ))
        }
    };
    Some(format!("looked up TXT {record_name}: {found}; {todo}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target {
            domain: "portal.example.com".into(),
            record_name: "_mspdesk-challenge.portal.example.com".into(),
            token: "abc123".into(),
        }
    }

    #[test]
    fn the_token_among_other_records_matches() {
        let found = TxtAnswer::Records(vec!["v=spf1 -all".into(), "abc123".into()]);
        assert_eq!(unmatched(&target(), &found), None);
        let quoted = TxtAnswer::Records(vec!["\"abc123\"".into()]);
        assert_eq!(unmatched(&target(), &quoted), None);
    }

    #[test]
    fn reasons_say_what_was_looked_up_and_found() {
        let other = unmatched(&target(), &TxtAnswer::Records(vec!["abc1234".into()])).unwrap();
        assert!(
            other.starts_with(
                "looked up TXT _mspdesk-challenge.portal.example.com: found \"abc1234\" but not"
            ),
            "{other}"
        );
        assert!(other.ends_with("with the value abc123, then verify again"));
        let none = unmatched(&target(), &TxtAnswer::NoSuchName).unwrap();
        assert!(none.contains("no such name (NXDOMAIN)"), "{none}");
        let empty = unmatched(&target(), &TxtAnswer::Records(vec![])).unwrap();
        assert!(empty.contains("has no TXT record"), "{empty}");
        let many = TxtAnswer::Records((0..8).map(|i| format!("r{i}")).collect());
        assert!(unmatched(&target(), &many).unwrap().contains("and 3 more"));
    }

    #[test]
    fn state_is_derived_from_ownership_first() {
        let me = Uuid::now_v7();
        let claim = |status: &str, owner: Option<Uuid>| ClaimCols {
            claim_token: Some("t".into()),
            claim_status: Some(status.into()),
            owner,
            ..ClaimCols::default()
        };
        let state = |c: ClaimCols| c.verification(me, Some("a.example")).unwrap();
        assert_eq!(
            state(claim("pending", Some(me))).status,
            VerificationStatus::Verified
        );
        let taken = state(claim("pending", Some(Uuid::now_v7())));
        assert_eq!(taken.status, VerificationStatus::Failed);
        assert_eq!(taken.reason.as_deref(), Some(TAKEN));
        assert_eq!(
            state(claim("verified", None)).status,
            VerificationStatus::Pending
        );
        assert_eq!(
            state(claim("pending", None)).record_name,
            "_mspdesk-challenge.a.example"
        );
        assert!(claim("pending", None).verification(me, None).is_none());
    }
}
