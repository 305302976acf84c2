//! Conflicts: drafts the server refused because it changed meanwhile. Both sides are kept
//! until the user decides; nothing is overwritten silently.

use std::collections::BTreeMap;

use mspdesk_domain::ClientId;

use crate::drafts::{PublishOutcome, ServerRecord};
use crate::error::{invalid, DeskError};
use crate::kinds::DraftKind;
use crate::session::Desk;
use crate::store::{Conflict, Draft};

/// How to settle a conflict.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "how", content = "fields", rename_all = "snake_case")]
pub enum Resolution {
    /// Rebase the draft on the server's version and push it.
    KeepMine,
    /// Drop the draft; keep the server's value.
    TakeTheirs,
    /// Per field: true takes the draft's value, false the server's. Fields not named keep the
    /// server's value.
    PerField(BTreeMap<String, bool>),
}

impl Desk {
    /// Every recorded conflict, oldest first.
    pub async fn conflicts(&self) -> Result<Vec<Conflict>, DeskError> {
        Ok(self.store.conflicts().await?)
    }

    pub(crate) async fn record_conflict_with(
        &self,
        draft: &Draft,
        current: &ServerRecord,
    ) -> Result<(), DeskError> {
        self.store
            .record_conflict(&Conflict {
                kind: draft.kind,
                client: draft.client,
                draft: draft.body.clone(),
                server: current.as_update(),
                server_version: current.version(),
            })
            .await?;
        Ok(())
    }

    /// Settles a conflict as asked, then pushes the result when there is one to push.
    #[tracing::instrument(skip(self), err)]
    pub async fn resolve(
        &self,
        kind: DraftKind,
        client: ClientId,
        resolution: &Resolution,
    ) -> Result<PublishOutcome, DeskError> {
        let conflict = self
            .store
            .conflicts()
            .await?
            .into_iter()
            .find(|c| c.kind == kind && c.client == client)
            .ok_or(DeskError::NoConflict(kind))?;
        let merged = match resolution {
            Resolution::TakeTheirs => None,
            Resolution::KeepMine => Some(conflict.draft.clone()),
            Resolution::PerField(choices) => Some(merge_fields(&conflict, choices)?),
        };
        match merged {
            None => {
                // The server's value stands: the mirror has it already if the sync that found
                // the conflict pulled it, or gets it at the next sync (it is after the cursor).
                self.store.delete_draft(kind, client).await?;
                self.store.delete_conflict(kind, client).await?;
                if kind == DraftKind::Branding {
                    self.store.delete_pending_images(client, None).await?;
                }
                Ok(PublishOutcome::Published)
            }
            Some(body) => {
                let msp = self.msp_api()?;
                self.store
                    .save_draft(kind, client, &body, conflict.server_version)
                    .await?;
                self.store.delete_conflict(kind, client).await?;
                let draft = self
                    .store
                    .draft(kind, client)
                    .await?
                    .ok_or(DeskError::NoDraft(kind))?;
                self.push_draft(&msp, &draft).await
            }
        }
    }
}

/// The server's side with the fields chosen from the draft.
fn merge_fields(
    conflict: &Conflict,
    choices: &BTreeMap<String, bool>,
) -> Result<serde_json::Value, DeskError> {
    let mut merged = conflict.server.clone();
    if let (Some(target), Some(mine)) = (merged.as_object_mut(), conflict.draft.as_object()) {
        for (field, take_mine) in choices {
            if !mine.contains_key(field) && !target.contains_key(field) {
                return Err(invalid(field, "is not a field of this draft"));
            }
            if *take_mine {
                target.insert(
                    field.clone(),
                    mine.get(field).cloned().unwrap_or(serde_json::Value::Null),
                );
            }
        }
    }
    Ok(merged)
}
