//! Exit codes, shared by every subcommand.

/// What the process tells its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Verdict OK, or a clean lint.
    Ok = 0,
    /// Bad usage or bad input (unreadable file, malformed JSON, unknown root, ...).
    Input = 1,
    /// Verdict WARN, or warnings only.
    Warn = 2,
    /// Verdict FAIL, or lint errors.
    Fail = 3,
}

/// Prints the properties that hold (`ok       …`) and then `VALID`, or `INVALID  reason`
/// for the first that does not: the output of the commands that check evidence.
pub fn report_checks(held: &[String], failure: Option<&str>) -> Exit {
    for line in held {
        println!("ok       {line}");
    }
    match failure {
        None => {
            println!("VALID");
            Exit::Ok
        }
        Some(reason) => {
            println!("INVALID  {reason}");
            Exit::Fail
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        Self::from(e as u8)
    }
}

impl From<proof_core::eval::Verdict> for Exit {
    fn from(v: proof_core::eval::Verdict) -> Self {
        use proof_core::eval::Verdict;
        match v {
            Verdict::Ok => Self::Ok,
            Verdict::Warn => Self::Warn,
            Verdict::Fail => Self::Fail,
        }
    }
}
