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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}
