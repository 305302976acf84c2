//! Branding images chosen on this desk and not uploaded yet. They belong to the client's
//! branding draft: publishing uploads them first, discarding the draft drops them.

use mspdesk_domain::{AssetKind, ClientId};

use super::{now, Store, StoreError};

/// An image as checked by the domain's upload rule (an SVG is already a PNG here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredImage {
    pub kind: AssetKind,
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// Not uploaded yet (part of the draft); otherwise the copy of what the server has.
    pub pending: bool,
}

type Row = (String, String, Vec<u8>, i64, i64, bool);

fn image(row: Row) -> Result<StoredImage, StoreError> {
    let (kind, content_type, bytes, width, height, pending) = row;
    let size = |v: i64| {
        u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("image size {v} out of range")))
    };
    Ok(StoredImage {
        kind: AssetKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown image kind {kind:?}")))?,
        content_type,
        bytes,
        width: size(width)?,
        height: size(height)?,
        pending,
    })
}

impl Store {
    /// Keeps (replaces) the image of `image.kind` for `client`; durable when this returns.
    pub async fn put_image(&self, client: ClientId, image: &StoredImage) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO branding_images (tenant, kind, content_type, bytes, width, height, pending, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (tenant, kind) DO UPDATE SET content_type = excluded.content_type,
                 bytes = excluded.bytes, width = excluded.width, height = excluded.height,
                 pending = excluded.pending, updated_at = excluded.updated_at",
        )
        .bind(client.to_string())
        .bind(image.kind.as_str())
        .bind(&image.content_type)
        .bind(&image.bytes)
        .bind(i64::from(image.width))
        .bind(i64::from(image.height))
        .bind(image.pending)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The client's images (pending or copies of the uploaded ones), logo first.
    pub async fn images(&self, client: ClientId) -> Result<Vec<StoredImage>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT kind, content_type, bytes, width, height, pending FROM branding_images
             WHERE tenant = ? ORDER BY kind DESC",
        )
        .bind(client.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(image).collect()
    }

    /// Marks an image as uploaded (from now on it is the copy the preview shows) and moves the
    /// branding draft's base to `branding_version`, the version the upload made.
    pub async fn image_uploaded(
        &self,
        client: ClientId,
        kind: AssetKind,
        branding_version: i64,
    ) -> Result<(), StoreError> {
        // One transaction: a crash cannot leave the image recorded and the draft's base behind
        // (the next publish would take its own upload for someone else's change).
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE branding_images SET pending = 0 WHERE tenant = ? AND kind = ?")
            .bind(client.to_string())
            .bind(kind.as_str())
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE drafts SET base_version = ? WHERE kind = ? AND tenant = ?")
            .bind(branding_version)
            .bind(crate::kinds::DraftKind::Branding.as_str())
            .bind(client.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Drops pending images: one (`Some(kind)`) or all of a client's; true when there was one.
    pub async fn delete_pending_images(
        &self,
        client: ClientId,
        kind: Option<AssetKind>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "DELETE FROM branding_images WHERE tenant = ? AND pending AND (? IS NULL OR kind = ?)",
        )
        .bind(client.to_string())
        .bind(kind.map(AssetKind::as_str))
        .bind(kind.map(AssetKind::as_str))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}
