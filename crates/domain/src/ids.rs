//! Identifiers. Every id is a UUID v7 (time-ordered, so indexes stay compact).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why a string or UUID is not an acceptable id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("is not a UUID")]
    Malformed,
    #[error("must be a UUID v7, this one is version {0}")]
    WrongVersion(usize),
}

fn check_v7(uuid: Uuid) -> Result<Uuid, IdError> {
    match uuid.get_version_num() {
        7 => Ok(uuid),
        other => Err(IdError::WrongVersion(other)),
    }
}

macro_rules! uuid_v7_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = uuid::Uuid))]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
        #[serde(try_from = "Uuid", into = "Uuid")]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh id (UUID v7, from the current time).
            #[must_use]
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            #[must_use]
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl TryFrom<Uuid> for $name {
            type Error = IdError;
            fn try_from(uuid: Uuid) -> Result<Self, IdError> {
                check_v7(uuid).map(Self)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                let uuid = Uuid::parse_str(s.trim()).map_err(|_| IdError::Malformed)?;
                Self::try_from(uuid)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0.hyphenated())
            }
        }
    };
}

uuid_v7_id!(
    /// A tenant: the MSP itself (the provider tenant) or one of its clients (a child tenant).
    /// Every tenant-owned row carries one.
    TenantId
);
uuid_v7_id!(
    /// A client company of the MSP. A client's id is its tenant's id.
    ClientId
);

impl From<ClientId> for TenantId {
    fn from(id: ClientId) -> Self {
        TenantId(id.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn new_ids_are_v7_and_distinct() {
        let a = TenantId::new();
        let b = TenantId::new();
        assert_ne!(a, b);
        assert_eq!(a.as_uuid().get_version_num(), 7);
    }

    #[test]
    fn parses_its_own_display() {
        let id = ClientId::new();
        assert_eq!(id.to_string().parse::<ClientId>(), Ok(id));
        // Upper case and surrounding blanks are accepted too.
        assert_eq!(
            format!("  {}\n", id.to_string().to_uppercase()).parse::<ClientId>(),
            Ok(id)
        );
    }

    #[test]
    fn rejects_garbage_and_other_versions() {
        assert_eq!("".parse::<TenantId>(), Err(IdError::Malformed));
        assert_eq!("not-a-uuid".parse::<TenantId>(), Err(IdError::Malformed));
        assert_eq!(
            "00000000-0000-0000-0000-000000000000".parse::<TenantId>(),
            Err(IdError::WrongVersion(0))
        );
        // A v4 UUID.
        assert_eq!(
            "f47ac10b-58cc-4372-a567-0e02b2c3d479".parse::<TenantId>(),
            Err(IdError::WrongVersion(4))
        );
        assert_eq!(
            IdError::WrongVersion(4).to_string(),
            "must be a UUID v7, this one is version 4"
        );
    }

    #[test]
    fn serde_validates() {
        let id = TenantId::new();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<TenantId>(&json).unwrap(), id);
        assert!(
            serde_json::from_str::<TenantId>("\"f47ac10b-58cc-4372-a567-0e02b2c3d479\"").is_err()
        );
        assert!(serde_json::from_str::<TenantId>("42").is_err());
    }

    #[test]
    fn client_id_is_its_tenant_id() {
        let c = ClientId::new();
        assert_eq!(TenantId::from(c).as_uuid(), c.as_uuid());
    }

    proptest! {
        #[test]
        fn never_panics_on_any_string(s in ".{0,64}") {
            let _ = s.parse::<TenantId>();
        }

        #[test]
        fn accepts_exactly_version_7(bytes in any::<[u8; 16]>()) {
            let uuid = uuid::Builder::from_random_bytes(bytes).into_uuid(); // v4
            prop_assert_eq!(TenantId::try_from(uuid), Err(IdError::WrongVersion(4)));
            let v7 = uuid::Builder::from_unix_timestamp_millis(1, &bytes[..10].try_into().unwrap()).into_uuid();
            prop_assert!(TenantId::try_from(v7).is_ok());
        }
    }
}
