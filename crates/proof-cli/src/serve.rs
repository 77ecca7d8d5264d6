//! `proof serve`: run the verifier service.

use crate::exit::Exit;
use anyhow::{Context as _, Result};
use clap::Args;
use proof_server::config::{self, Settings};
use proof_server::{Application, fsload, shutdown_signal, telemetry};
use std::path::PathBuf;

#[derive(Args)]
pub struct ServeArgs {
    /// Settings file (YAML, e.g. config/server.yaml, which names config/auth.yaml as its
    /// `auth_file`). PROOF_* variables override it. Without --dev, OAuth2 is on and needs
    /// `auth.issuer` and `auth.audience` (docs/configuration.md, docs/auth.md, docs/tls.md).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Embedded defaults for a local run: SQLite under ./data, policies/ and lists/
    /// loaded, API on 127.0.0.1:8080, admin on 127.0.0.1:9464, plain HTTP, authentication
    /// off. For a laptop, not a deployment.
    #[arg(long)]
    dev: bool,
    /// Validate settings, TLS files, lists and policies, print a summary, and exit (0 valid,
    /// 1 not). Contacts neither the store nor the identity provider.
    #[arg(long)]
    check_config: bool,
}

fn settings(a: &ServeArgs) -> Result<Settings> {
    let file = match &a.config {
        Some(p) => Some((
            p.display().to_string(),
            std::fs::read_to_string(p).with_context(|| format!("cannot read `{}`", p.display()))?,
        )),
        None => None,
    };
    let s = config::load(
        a.dev,
        file.as_ref().map(|(n, t)| (n.as_str(), t.as_str())),
        std::env::vars(),
    )?;
    s.validate()?;
    Ok(s)
}

fn check(s: &Settings) -> Result<Exit> {
    let lists = fsload::lists_dir(&s.lists_dir).map_err(anyhow::Error::msg)?;
    let policies = match &s.policy_dir {
        Some(dir) => fsload::policy_dir(dir).map_err(anyhow::Error::msg)?.len(),
        None => 0,
    };
    let signing = match fsload::signing_keys(&s.signing)
        .map_err(|e| anyhow::anyhow!("invalid configuration:\n  - {e}"))?
    {
        Some(k) => format!(
            "receipts signed by kid {} (retired keys published: {}), logged as `{}` in batches of up to {}",
            k.active().kid(),
            k.jwks()
                .get("keys")
                .and_then(serde_json::Value::as_array)
                .map_or(0, |a| a.len().saturating_sub(1)),
            s.receipt_log.origin,
            s.receipt_log.max_batch
        ),
        None => "no receipts (no signing.key_file)".to_owned(),
    };
    let tls = if s.tls.enabled() {
        let l = proof_server::tls::load(&s.tls, s.dev)
            .map_err(|e| anyhow::anyhow!("invalid configuration:\n  - TLS: {e}"))?;
        format!(
            "on (minimum TLS {}, client certificates {}, server certificate serial {})",
            match s.tls.min_version {
                config::TlsVersion::V1_2 => "1.2",
                config::TlsVersion::V1_3 => "1.3",
            },
            match s.tls.client_auth {
                config::ClientAuthMode::Off => "off",
                config::ClientAuthMode::Optional => "optional",
                config::ClientAuthMode::Required => "required",
            },
            l.serial
        )
    } else {
        "off (plain HTTP)".to_owned()
    };
    println!("configuration is valid");
    println!("  api:        {}", s.api.bind);
    println!("  tls:        {tls}");
    println!(
        "  auth:       {}",
        match s.auth.mode {
            config::AuthMode::OAuth2 => format!(
                "oauth2 (issuer {}, audience {}, {} routes with scopes; the IdP is not contacted by --check-config)",
                s.auth.issuer.as_deref().unwrap_or_default(),
                s.auth.audience.as_deref().unwrap_or_default(),
                s.auth.scopes.len()
            ),
            config::AuthMode::Dev => format!("dev ({} static tokens)", s.auth.dev_tokens.len()),
            config::AuthMode::Off => "OFF: every API route is open".to_owned(),
        }
    );
    println!("  admin:      {}", s.admin.bind);
    println!(
        "  store:      {} (not contacted by --check-config)",
        s.store.url.redacted()
    );
    println!(
        "  lists:      {} from {}",
        lists.len(),
        s.lists_dir.display()
    );
    println!(
        "  policies:   {policies} from {}",
        s.policy_dir
            .as_ref()
            .map_or_else(|| "(none)".into(), |d| d.display().to_string())
    );
    println!(
        "  limits:     body {} bytes, depth {}, timeout {} ms, concurrency {}",
        s.limits.body_bytes, s.limits.json_depth, s.limits.request_timeout_ms, s.limits.concurrency
    );
    println!("  rate limits: {}", rate_limits(&s.limits));
    println!("  cache:      {} compiled IRs", s.cache.capacity);
    println!("  signing:    {signing}");
    println!(
        "  log:        level {}, {}",
        s.log.level,
        match s.log.format {
            config::LogFormat::Json => "JSON lines",
            config::LogFormat::Text => "text",
        }
    );
    println!(
        "  embedded IR {}",
        if s.features.allow_embedded_ir {
            "accepted"
        } else {
            "refused"
        }
    );
    Ok(Exit::Ok)
}

fn rate_limits(l: &config::Limits) -> String {
    let one = |rps: f64, burst: u32| {
        if rps <= 0.0 {
            "off".to_owned()
        } else {
            format!("{rps}/s (burst {burst})")
        }
    };
    format!(
        "per client {}, per IP {}",
        one(l.client_rps, l.client_burst),
        one(l.ip_rps, l.ip_burst)
    )
}

pub fn run(a: &ServeArgs) -> Result<Exit> {
    let s = settings(a)?;
    if a.check_config {
        return check(&s);
    }
    let _log = telemetry::init_logging(&s.log).map_err(anyhow::Error::msg)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        let app = Application::build(s).await?;
        tracing::info!(
            api = %app.api_addr()?,
            scheme = app.api_scheme(),
            admin = %app.admin_addr()?,
            "listening"
        );
        app.run_until_stopped(shutdown_signal()).await?;
        tracing::info!("stopped");
        anyhow::Ok(())
    })?;
    Ok(Exit::Ok)
}
