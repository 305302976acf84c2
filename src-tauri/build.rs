fn main() {
    // Commands the app defines. Listing them makes Tauri generate one permission per command
    // (`allow-app-info`, ...), so a capability must grant each one explicitly.
    let manifest = tauri_build::AppManifest::new().commands(&[
        "app_info",
        "bench_mark",
        "open_data_dir",
        "open_log_dir",
        "client_activity",
        "invite_user",
        "clear_sign_in_lock",
        "session",
        "sign_in",
        "sign_out",
        "unsent_work",
        "export_unsent",
        "discard_kept_work",
        "default_server",
        "list_clients",
        "search_key",
        "client_detail",
        "plans",
        "create_client",
        "update_client",
        "delete_client",
        "save_quotas_draft",
        "publish_draft",
        "discard_draft",
        "queued_clients",
        "sync_now",
        "cancel_sync",
        "templates",
        "draft_catalog",
        "branding_view",
        "check_branding",
        "branding_preview",
        "save_branding_draft",
        "choose_branding_image",
        "clear_branding_image",
        "verify_custom_domain",
        "billing_report",
        "export_report",
        "report_file_name",
        "open_exported",
        "show_exported",
        "choose_export_path",
        "conflicts",
        "resolve_conflict",
    ]);
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(manifest);
    if let Err(error) = tauri_build::try_build(attributes) {
        // A build script reports failure by panicking; show the whole chain first.
        eprintln!("tauri-build failed: {error:#}");
        std::process::exit(1);
    }
}
