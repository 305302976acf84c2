-- Branding images: chosen on this desk and not uploaded yet (pending = 1), kept with the draft
-- until it is published, and afterwards (pending = 0) as the copy the preview shows, so the
-- preview works offline. The bytes are already checked and normalised (an SVG is a PNG here).
CREATE TABLE branding_images (
    tenant       TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('logo', 'favicon')),
    content_type TEXT NOT NULL,
    bytes        BLOB NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    pending      INTEGER NOT NULL DEFAULT 1,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (tenant, kind)
);
