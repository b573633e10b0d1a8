//! Without its secrets the binary refuses to start: one line naming the setting, exit code 2,
//! and no demo, no database touched.

use std::process::{Command, Stdio};

fn run(env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bot"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("running bot");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_missing_secret_is_a_one_line_error_with_exit_code_2() {
    for (env, named) in [
        (vec![], "BOT_TOKEN"),
        (vec![("BOT_TOKEN", "1:abc")], "KIE_API_KEY"),
        (
            vec![("BOT_TOKEN", "1:abc"), ("KIE_API_KEY", "k")],
            "DATABASE_URL",
        ),
        (
            vec![
                ("BOT_TOKEN", "1:abc"),
                ("KIE_API_KEY", "k"),
                ("DATABASE_URL", "postgres://127.0.0.1:1/x"),
                ("BOT_MODE", "webhook"),
            ],
            "WEBHOOK_SECRET",
        ),
    ] {
        let (code, stderr) = run(&env);
        assert_eq!(code, Some(2), "{named}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains(named), "names {named}: {stderr}");
        assert!(!stderr.to_lowercase().contains("demo"), "no demo: {stderr}");
        assert!(!stderr.contains("1:abc"), "no secret in errors: {stderr}");
    }
}

#[test]
fn an_empty_environment_variable_counts_as_unset() {
    // A blank platform field or a copied `.env` line is "not given", not a parse error.
    let (code, stderr) = run(&[
        ("BOT_TOKEN", "1:abc"),
        ("KIE_API_KEY", ""),
        ("ADMIN_IDS", ""),
        ("PUBLIC_URL", " "),
        ("KIE_WEBHOOK_HMAC_KEY", ""),
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("KIE_API_KEY (--kie-api-key) is not set"),
        "{stderr}"
    );
}

#[test]
fn the_help_lists_every_setting_and_no_demo() {
    let out = Command::new(env!("CARGO_BIN_EXE_bot"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for setting in [
        "BOT_TOKEN",
        "DATABASE_URL",
        "KIE_API_KEY",
        "BOT_MODE",
        "LISTEN",
        "PUBLIC_URL",
        "WEBHOOK_SECRET",
        "STOP_DEADLINE_SECS",
        "POLL_TIMEOUT_SECS",
        "HANDLER_CONCURRENCY",
        "INSTANCE_ID",
        "LOG_FORMAT",
    ] {
        assert!(help.contains(setting), "--help misses {setting}");
    }
    assert!(help.contains("set-webhook"));
    assert!(!help.contains("  demo"), "{help}");
}
