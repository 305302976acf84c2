//! User accounts of a client.

use chrono::{DateTime, Utc};
use mspdesk_domain::{Email, Label};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::Fields;
use crate::FieldError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub email: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub email: Email,
    pub name: Label,
}

impl CreateUser {
    pub fn validate(&self) -> Result<NewUser, Vec<FieldError>> {
        let mut f = Fields::default();
        let email = f.check("email", Email::parse(&self.email));
        let name = f.check("name", Label::parse(&self.name));
        f.finish(|| {
            Some(NewUser {
                email: email?,
                name: name?,
            })
        })
    }
}

/// A user account of a client. `state` and `invitation_expires_at` say whether the user can
/// sign in to the client portal yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// Whether the user can sign in to the portal (absent in bodies stored before it existed:
    /// `none`).
    #[serde(default)]
    pub state: UserState,
    /// When the user's open invitation link stops working; null when there is none (never
    /// invited, used, or expired). An active user may hold one too: a new link resets the
    /// password.
    #[serde(default)]
    pub invitation_expires_at: Option<DateTime<Utc>>,
}

/// A user's standing in the client portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum UserState {
    /// No password, and no open invitation (never invited, or the link expired).
    #[default]
    None,
    /// Invited: an open link, no password yet.
    Invited,
    /// Has set a password and can sign in.
    Active,
}

/// `POST /users/{id}/invitation`: a one-time link to the client portal, where the user sets a
/// password (valid for 72 hours; it replaces the user's earlier links).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Invitation {
    pub user_id: Uuid,
    /// The link to hand to the user: absolute, on the client's verified custom domain when it
    /// has one, otherwise on the Control Panel's host.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}
