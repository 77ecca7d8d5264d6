//! Diagnostics: what the compiler says about a policy, with a stable code, a level, a
//! message and the source span it points at. Rendered as text for people and as JSON for
//! machines.

use serde::Serialize;
use std::fmt;

/// A byte range in the policy source, with its 1-based line and column (in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Span {
    /// 1-based line of the first byte.
    pub line: u32,
    /// 1-based column (in characters) of the first byte.
    pub column: u32,
    /// Byte offset of the first byte.
    pub offset: usize,
    /// Length in bytes.
    pub len: usize,
}

impl Span {
    /// The span of `len` bytes at `offset`, with line and column computed from `src`.
    #[must_use]
    pub fn at(src: &str, offset: usize, len: usize) -> Self {
        let offset = floor_char_boundary(src, offset.min(src.len()));
        let before = src.get(..offset).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        Self {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
            offset,
            len,
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Worth knowing; never blocks compilation.
    Info,
    /// Probably a mistake; compilation goes on.
    Warning,
    /// The policy cannot be compiled.
    Error,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
        })
    }
}

/// A stable diagnostic code. The numeric code and the name never change meaning once
/// released; `docs/policy-language.md` lists them all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// YAML that does not parse, or exceeds a parser budget (aliases, depth, size).
    YamlSyntax,
    /// The same key twice in one mapping.
    DuplicateKey,
    /// A field the policy language does not define.
    UnknownField,
    /// A required field is missing.
    MissingField,
    /// A field has the wrong YAML shape (string, list, mapping, ...).
    WrongShape,
    /// An identifier (policy, rule, predicate, input) is not well formed.
    InvalidIdentifier,
    /// An input declares a type the language does not have.
    UnknownType,
    /// Two rules share an id.
    DuplicateRuleId,
    /// Two predicates share an id.
    DuplicatePredicateId,
    /// An expression names an input that is not declared.
    UnknownInput,
    /// An activation names a rule that does not exist.
    UnknownRule,
    /// An activation names a predicate that does not exist.
    UnknownPredicate,
    /// Operand types do not fit the operator, function or rule op.
    TypeMismatch,
    /// A rule uses an op the language does not have.
    UnknownOp,
    /// An expression does not parse.
    ExpressionSyntax,
    /// An expression calls a function the language does not have.
    UnknownFunction,
    /// `legal_basis` is missing or empty.
    EmptyLegalBasis,
    /// A declared input is used by no rule or predicate.
    UnusedInput,
    /// A rule is only named in activations whose predicates can never hold.
    RuleNeverActive,
    /// A literal (date, duration, hash, number) is out of range or malformed.
    InvalidLiteral,
    /// The policy has no rules, so every context would pass.
    NoRules,
    /// An expression names a field its record type does not have.
    UnknownRecordField,
}

impl Code {
    /// Every code, in code order (used by docs and tests).
    pub const ALL: [Code; 22] = [
        Self::YamlSyntax,
        Self::DuplicateKey,
        Self::UnknownField,
        Self::MissingField,
        Self::WrongShape,
        Self::InvalidIdentifier,
        Self::UnknownType,
        Self::DuplicateRuleId,
        Self::DuplicatePredicateId,
        Self::UnknownInput,
        Self::UnknownRule,
        Self::UnknownPredicate,
        Self::TypeMismatch,
        Self::UnknownOp,
        Self::ExpressionSyntax,
        Self::UnknownFunction,
        Self::EmptyLegalBasis,
        Self::UnusedInput,
        Self::RuleNeverActive,
        Self::InvalidLiteral,
        Self::UnknownRecordField,
        Self::NoRules,
    ];

    /// The stable code, e.g. `P0101`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::YamlSyntax => "P001",
            Self::DuplicateKey => "P002",
            Self::UnknownField => "P003",
            Self::MissingField => "P004",
            Self::WrongShape => "P005",
            Self::InvalidIdentifier => "P006",
            Self::UnknownType => "P007",
            Self::DuplicateRuleId => "P101",
            Self::DuplicatePredicateId => "P102",
            Self::UnknownInput => "P103",
            Self::UnknownRule => "P104",
            Self::UnknownPredicate => "P105",
            Self::TypeMismatch => "P106",
            Self::UnknownOp => "P107",
            Self::ExpressionSyntax => "P108",
            Self::UnknownFunction => "P109",
            Self::InvalidLiteral => "P110",
            Self::UnknownRecordField => "P111",
            Self::EmptyLegalBasis => "P201",
            Self::UnusedInput => "P202",
            Self::RuleNeverActive => "P203",
            Self::NoRules => "P204",
        }
    }

    /// The stable kebab-case name, e.g. `unknown-input`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::YamlSyntax => "yaml-syntax",
            Self::DuplicateKey => "duplicate-key",
            Self::UnknownField => "unknown-field",
            Self::MissingField => "missing-field",
            Self::WrongShape => "wrong-shape",
            Self::InvalidIdentifier => "invalid-identifier",
            Self::UnknownType => "unknown-type",
            Self::DuplicateRuleId => "duplicate-rule-id",
            Self::DuplicatePredicateId => "duplicate-predicate-id",
            Self::UnknownInput => "unknown-input",
            Self::UnknownRule => "unknown-rule",
            Self::UnknownPredicate => "unknown-predicate",
            Self::TypeMismatch => "type-mismatch",
            Self::UnknownOp => "unknown-op",
            Self::ExpressionSyntax => "expression-syntax",
            Self::UnknownFunction => "unknown-function",
            Self::InvalidLiteral => "invalid-literal",
            Self::UnknownRecordField => "unknown-record-field",
            Self::EmptyLegalBasis => "empty-legal-basis",
            Self::UnusedInput => "unused-input",
            Self::RuleNeverActive => "rule-never-active",
            Self::NoRules => "no-rules",
        }
    }

    /// The level of this code in `mode`. Relaxed mode downgrades hygiene findings
    /// (unknown fields, empty legal basis, no rules) to warnings and unused inputs to info; it never
    /// downgrades anything that would make evaluation wrong.
    #[must_use]
    pub const fn level(self, relaxed: bool) -> Level {
        match self {
            Self::UnknownField | Self::EmptyLegalBasis | Self::NoRules => {
                if relaxed {
                    Level::Warning
                } else {
                    Level::Error
                }
            }
            Self::UnusedInput => {
                if relaxed {
                    Level::Info
                } else {
                    Level::Warning
                }
            }
            Self::RuleNeverActive => Level::Warning,
            _ => Level::Error,
        }
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One finding about a policy.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnostic {
    /// Stable code, e.g. `P103`.
    pub code: Code,
    /// Stable name, e.g. `unknown-input`.
    pub name: &'static str,
    /// How serious it is in the mode it was produced in.
    pub level: Level,
    /// What is wrong, lowercase, user input in backticks.
    pub message: String,
    /// Where in the source, when known.
    pub span: Option<Span>,
}

impl Diagnostic {
    /// A diagnostic at the level `code` has in the given mode.
    #[must_use]
    pub fn new(code: Code, relaxed: bool, message: impl Into<String>, span: Option<Span>) -> Self {
        Self {
            code,
            name: code.name(),
            level: code.level(relaxed),
            message: message.into(),
            span,
        }
    }

    /// Renders `file:line:col: level[CODE name]: message`.
    #[must_use]
    pub fn render(&self, file: &str) -> String {
        let at = self
            .span
            .map_or(String::new(), |s| format!(":{}:{}", s.line, s.column));
        format!(
            "{file}{at}: {}[{} {}]: {}",
            self.level,
            self.code.as_str(),
            self.name,
            self.message
        )
    }
}

/// True when any diagnostic is an error.
#[must_use]
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(|d| d.level == Level::Error)
}
