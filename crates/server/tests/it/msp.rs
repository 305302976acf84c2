//! The MSP's own profile.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use crate::helpers::*;

#[tokio::test]
async fn an_msp_reads_its_own_profile() {
    let app = spawn_app().await;
    let first = msp(&app).await;
    let second = msp(&app).await;
    let profile = first.api.msp().await.unwrap();
    assert_eq!(profile.id, first.tenant);
    assert_eq!(profile.name, "Test MSP");
    assert_eq!(second.api.msp().await.unwrap().id, second.tenant);
}
