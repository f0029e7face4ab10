fn main() {
    // tauri.conf.json lives at the workspace root, next to ui/ and icons/. Declaring the
    // commands makes each one need a grant in capabilities/main.json.
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(&[
            "status",
            "set_enabled",
            "check_rule",
            "add_rules",
            "remove_rule",
            "check_client",
            "add_clients",
            "remove_client",
            "check_settings",
            "save_settings",
            "dismiss_problem",
            "set_system_proxy",
            "check_bypass",
            "add_bypass",
            "remove_bypass",
            "set_autostart",
            "set_language",
            "unlock",
            "lock",
            "set_pin",
            "remove_pin",
            "quit",
            "create_list",
            "rename_list",
            "delete_list",
            "set_list_enabled",
            "list_rules",
            "add_list_rules",
            "remove_list_rule",
            "check_window",
            "add_list_windows",
            "remove_list_window",
            "import_chunk",
            "import_commit",
            "set_allow_only",
            "add_allowed_sites",
            "remove_allowed_site",
            "history",
            "export_history",
            "set_history_days",
        ]));
    tauri_build::try_build(attributes).expect("tauri-build failed");
}
