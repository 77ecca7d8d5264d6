//! `proof`: lint and compile LkSG policies, build list roots and context hashes, verify.
//!
//! One file per subcommand; shared file loading lives in `load.rs`.

mod adapt;
mod commit;
mod context;
mod exit;
mod keys;
mod lists;
mod load;
mod log;
mod policy;
mod policy_test;
mod receipt;
mod remote;
mod report;
mod screen;
mod serve;
mod suppliers;
mod verify;

use clap::{Parser, Subcommand};
use exit::Exit;

/// Supply-chain (LkSG) compliance checks as code.
#[derive(Parser)]
#[command(name = "proof", version, about, long_about = None, after_help = "\
Examples:
  proof policy lint policies/lksg.v1.yml
  proof policy compile policies/lksg.v1.yml -o lksg.v1.ir.json
  proof commit --kind entity suppliers.txt --format json
  proof lists root lists/sanctions-demo.csv
  proof verify --policy lksg.v1 --context examples/context_ok.json
  proof adapt --policy lksg.v1 --context examples/context_ok.json --selector weighted --weights examples/rules.yaml --dry-run
  proof serve --dev
  PROOF_CLIENT_SECRET=... proof verify --server https://proof.example.com \
      --token-url https://idp.example.com/token --client-id erp --policy lksg.v1 --context ctx.json

Exit codes: 0 OK / clean, 1 usage or input error, 2 WARN / warnings, 3 FAIL / errors.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lint or compile a policy file.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Inspect reference lists and import the official sanctions files.
    #[command(subcommand)]
    Lists(lists::ListsCommand),
    /// Print the hashes a context uses: typed identifiers (--scheme), entities, regions.
    Commit(commit::CommitArgs),
    /// Make Ed25519 signing keys and print their public key set.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Build contexts from supplier master data.
    #[command(subcommand)]
    Context(context::ContextCommand),
    /// Explain reports: the designations and suppliers behind failed rules.
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// Check signed receipts offline.
    #[command(subcommand)]
    Receipt(receipt::ReceiptCommand),
    /// The verification log: checkpoints, consistency, archive bundles.
    #[command(subcommand)]
    Log(log::LogCommand),
    /// Screen supplier names against the imported lists (fuzzy, local, explained).
    Screen(screen::ScreenArgs),
    /// Verify a context against a policy and print the report.
    Verify(verify::VerifyArgs),
    /// Plan the rules a context needs (cheapest first); evaluate the plan unless --dry-run.
    Adapt(adapt::AdaptArgs),
    /// Run the HTTP service (`--dev` for embedded defaults).
    Serve(serve::ServeArgs),
}

fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Input.into()
            } else {
                Exit::Ok.into()
            };
        }
    };
    let result = match cli.command {
        Command::Policy(c) => policy::run(c),
        Command::Lists(c) => lists::run(c),
        Command::Commit(a) => commit::run(&a),
        Command::Keys(c) => keys::run(c),
        Command::Context(c) => context::run(c),
        Command::Report(c) => report::run(c),
        Command::Receipt(c) => receipt::run(c),
        Command::Log(c) => log::run(c),
        Command::Screen(a) => screen::run(&a),
        Command::Verify(a) => verify::run(&a),
        Command::Adapt(a) => adapt::run(&a),
        Command::Serve(a) => serve::run(&a),
    };
    match result {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("error: {e:#}");
            Exit::Input.into()
        }
    }
}
