//! Typed expression trees as they appear in IR v1 and v1.1, their JSON form, their typing
//! rules and a printer that renders them back as source-like text (used in report details).
//!
//! IR v1.1 adds records: member access, `has()`, the CEL macros over arrays, `in` and
//! `on_list`. [`Expr::uses_v1_1`] says whether a tree needs them.

mod check;
mod display;
mod json;

pub use json::MAX_DEPTH;

use crate::types::{Scalar, Type};

/// A literal value.
#[derive(Clone, Debug, PartialEq)]
pub enum Lit {
    /// A finite number.
    Number(f64),
    /// A string.
    String(String),
    /// A boolean.
    Bool(bool),
    /// A 32-byte digest.
    Hex([u8; 32]),
    /// Days since 1970-01-01.
    Date(i64),
    /// Seconds.
    Duration(i64),
}

impl Lit {
    /// The literal's type.
    #[must_use]
    pub const fn scalar(&self) -> Scalar {
        match self {
            Self::Number(_) => Scalar::Number,
            Self::String(_) => Scalar::String,
            Self::Bool(_) => Scalar::Bool,
            Self::Hex(_) => Scalar::Hex,
            Self::Date(_) => Scalar::Date,
            Self::Duration(_) => Scalar::Duration,
        }
    }
}

/// A built-in function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    /// `len(xs)`: number of items.
    Len,
    /// `count(xs)`: number of distinct items.
    Count,
    /// `min(xs)` or `min(a, b, ...)`.
    Min,
    /// `max(xs)` or `max(a, b, ...)`.
    Max,
    /// `sum(xs)` of numbers or durations; 0 for an empty array.
    Sum,
    /// `now()`: the UTC date of `as_of`.
    Now,
    /// `on_list(h, root)`: the hash `h`, or any hash of the array `h`, is on the list with
    /// that root (IR v1.1).
    OnList,
}

impl Func {
    /// Every function, for error messages and docs.
    pub const ALL: [Func; 7] = [
        Self::Len,
        Self::Count,
        Self::Min,
        Self::Max,
        Self::Sum,
        Self::Now,
        Self::OnList,
    ];

    /// The name used in source and IR.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Len => "len",
            Self::Count => "count",
            Self::Min => "min",
            Self::Max => "max",
            Self::Sum => "sum",
            Self::Now => "now",
            Self::OnList => "on_list",
        }
    }

    /// Looks a function up by name.
    #[must_use]
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == s)
    }

    /// The result type for these argument types, or a message saying what fits.
    ///
    /// # Errors
    /// When the arguments do not fit the function.
    pub fn result_type(self, args: &[Type]) -> Result<Type, String> {
        let n = self.name();
        match (self, args) {
            (Self::Now, []) => Ok(Type::DATE),
            (Self::Now, _) => Err("`now()` takes no arguments".into()),
            (Self::OnList, [h, Type::Scalar(Scalar::Hex)]) if *h == Type::HEX || h.is_hashes() => {
                Ok(Type::BOOL)
            }
            (Self::OnList, _) => {
                Err("`on_list` takes a hash (or an array of hashes) and a `hex` list root".into())
            }
            (Self::Len, [Type::Array(_) | Type::List(_)]) | (Self::Count, [Type::Array(_)]) => {
                Ok(Type::NUMBER)
            }
            (Self::Len, _) => Err("`len` takes one array".into()),
            (Self::Count, _) => Err("`count` takes one array of scalars".into()),
            (Self::Sum, [Type::Array(s @ (Scalar::Number | Scalar::Duration))]) => {
                Ok(Type::Scalar(*s))
            }
            (Self::Sum, _) => Err("`sum` takes one array of numbers or durations".into()),
            (Self::Min | Self::Max, [Type::Array(s)]) if s.is_ordered() => Ok(Type::Scalar(*s)),
            (Self::Min | Self::Max, [Type::Scalar(s), rest @ ..])
                if s.is_ordered()
                    && !rest.is_empty()
                    && rest.iter().all(|t| *t == Type::Scalar(*s)) =>
            {
                Ok(Type::Scalar(*s))
            }
            (Self::Min | Self::Max, _) => Err(format!(
                "`{n}` takes one array of numbers, dates or durations, or two or more values of one such type"
            )),
        }
    }
}

/// A unary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// `not b`
    Not,
    /// `-x`
    Neg,
}

impl UnOp {
    /// The IR name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Not => "not",
            Self::Neg => "neg",
        }
    }

    /// The result type, or `None` when the operand does not fit.
    #[must_use]
    pub const fn result_type(self, t: &Type) -> Option<Type> {
        match (self, t) {
            (Self::Not, Type::Scalar(Scalar::Bool)) => Some(Type::BOOL),
            (Self::Neg, Type::Scalar(s @ (Scalar::Number | Scalar::Duration))) => {
                Some(Type::Scalar(*s))
            }
            _ => None,
        }
    }
}

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `and`
    And,
    /// `or`
    Or,
    /// `x in xs`: the value is an item of the array (IR v1.1).
    In,
}

impl BinOp {
    /// Every operator.
    pub const ALL: [BinOp; 13] = [
        Self::Add,
        Self::Sub,
        Self::Mul,
        Self::Div,
        Self::Eq,
        Self::Ne,
        Self::Lt,
        Self::Le,
        Self::Gt,
        Self::Ge,
        Self::And,
        Self::Or,
        Self::In,
    ];

    /// The symbol used in source and IR.
    #[must_use]
    pub const fn symbol(self) -> &'static str {
        match self {
            Self::Add => "+",
            Self::Sub => "-",
            Self::Mul => "*",
            Self::Div => "/",
            Self::Eq => "==",
            Self::Ne => "!=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::And => "and",
            Self::Or => "or",
            Self::In => "in",
        }
    }

    /// Binding strength: higher binds tighter.
    #[must_use]
    pub const fn precedence(self) -> u8 {
        match self {
            Self::Or => 1,
            Self::And => 2,
            Self::Eq | Self::Ne | Self::Lt | Self::Le | Self::Gt | Self::Ge | Self::In => 3,
            Self::Add | Self::Sub => 4,
            Self::Mul | Self::Div => 5,
        }
    }

    /// The result type, or `None` when the operands do not fit.
    #[must_use]
    pub fn result_type(self, l: &Type, r: &Type) -> Option<Type> {
        use Scalar::{Bool, Date, Duration as Dur, Number as Num};
        if self == Self::In {
            return match (l, r) {
                (Type::Scalar(a), Type::Array(b)) if a == b => Some(Type::BOOL),
                _ => None,
            };
        }
        let (Type::Scalar(a), Type::Scalar(b)) = (l, r) else {
            return None;
        };
        let (a, b) = (*a, *b);
        let s = match (self, a, b) {
            (Self::And | Self::Or, Bool, Bool) => Bool,
            (Self::Eq | Self::Ne, a, b) if a == b => Bool,
            (Self::Lt | Self::Le | Self::Gt | Self::Ge, a, b) if a == b && a.is_ordered() => Bool,
            (Self::Add, Num, Num) | (Self::Sub, Num, Num) | (Self::Mul, Num, Num) => Num,
            (Self::Div, Num, Num) | (Self::Div, Dur, Dur) => Num,
            (Self::Add | Self::Sub, Dur, Dur) => Dur,
            (Self::Add, Date, Dur) | (Self::Add, Dur, Date) | (Self::Sub, Date, Dur) => Date,
            (Self::Sub, Date, Date) => Dur,
            (Self::Mul, Dur, Num) | (Self::Mul, Num, Dur) | (Self::Div, Dur, Num) => Dur,
            _ => return None,
        };
        Some(Type::Scalar(s))
    }

    pub(crate) fn from_symbol(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.symbol() == s)
    }
}

/// A CEL macro over an array: `xs.all(x, p)` and its kin (IR v1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Macro {
    /// `xs.all(x, p)`: `p` holds for every item (true for an empty array).
    All,
    /// `xs.exists(x, p)`: `p` holds for at least one item (false for an empty array).
    Exists,
    /// `xs.exists_one(x, p)`: `p` holds for exactly one item.
    ExistsOne,
    /// `xs.filter(x, p)`: the items for which `p` holds, in order.
    Filter,
    /// `xs.map(x, e)`: `e` of each item, in order.
    Map,
}

impl Macro {
    /// Every macro.
    pub const ALL: [Macro; 5] = [
        Self::All,
        Self::Exists,
        Self::ExistsOne,
        Self::Filter,
        Self::Map,
    ];

    /// The name used in source and IR.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Exists => "exists",
            Self::ExistsOne => "exists_one",
            Self::Filter => "filter",
            Self::Map => "map",
        }
    }

    /// Looks a macro up by name.
    #[must_use]
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == s)
    }

    /// The result type for a range of type `range` and a body of type `body`.
    ///
    /// # Errors
    /// A message saying what the macro takes.
    pub fn result_type(self, range: &Type, body: &Type) -> Result<Type, String> {
        let n = self.name();
        if range.item().is_none() {
            return Err(format!("`{n}` applies to an array, not to `{range}`"));
        }
        match self {
            Self::Map => Ok(Type::array_of(body.clone())),
            _ if *body != Type::BOOL => Err(format!(
                "the condition of `{n}` must be `bool`, found `{body}`"
            )),
            Self::Filter => Ok(range.clone()),
            Self::All | Self::Exists | Self::ExistsOne => Ok(Type::BOOL),
        }
    }
}

/// A typed expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A literal.
    Lit(Lit),
    /// A declared input.
    Var {
        /// Input name.
        name: String,
        /// Declared type.
        ty: Type,
    },
    /// The variable a macro or an `each` rule binds (IR v1.1).
    Local {
        /// Its name.
        name: String,
        /// Its type: the item type of the array it ranges over.
        ty: Type,
    },
    /// A function call.
    Call {
        /// The function.
        func: Func,
        /// Arguments.
        args: Vec<Expr>,
        /// Result type.
        ty: Type,
    },
    /// A unary operation.
    Unary {
        /// Operator.
        op: UnOp,
        /// Operand.
        arg: Box<Expr>,
        /// Result type.
        ty: Type,
    },
    /// A binary operation.
    Binary {
        /// Operator.
        op: BinOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
        /// Result type.
        ty: Type,
    },
    /// `r.name`: a field of a record (IR v1.1).
    Field {
        /// The record.
        arg: Box<Expr>,
        /// The field's name.
        name: String,
        /// The field's position in the record type (derived from `arg`'s type).
        index: usize,
        /// The field's type.
        ty: Type,
    },
    /// `has(r.name)`: an optional field is present (IR v1.1).
    Has {
        /// The record.
        arg: Box<Expr>,
        /// The field's name.
        name: String,
        /// The field's position in the record type.
        index: usize,
    },
    /// `range.mac(var, body)` (IR v1.1).
    Macro {
        /// Which macro.
        mac: Macro,
        /// The name bound to each item in `body`.
        var: String,
        /// The array.
        range: Box<Expr>,
        /// The condition or, for `map`, the value.
        body: Box<Expr>,
        /// Result type.
        ty: Type,
    },
}

/// Which field of a record type `arg` names `name`: its index and type.
///
/// # Errors
/// When `record` is not a record type or has no such field (the message names the fields).
pub fn field_of(record: &Type, name: &str) -> Result<(usize, crate::types::Field), String> {
    let Type::Record(r) = record else {
        return Err(format!("`.{name}` needs a record, found `{record}`"));
    };
    r.field(name).map(|(i, f)| (i, f.clone())).ok_or_else(|| {
        let names = r.names();
        let hint = crate::policy::decode::suggest(name, names.iter().copied())
            .map_or(String::new(), |s| format!("did you mean `{s}`? "));
        format!(
            "the record has no field `{name}`; {hint}its fields are {}",
            names.join(", ")
        )
    })
}

impl Expr {
    /// The expression's type.
    #[must_use]
    pub fn ty(&self) -> Type {
        match self {
            Self::Lit(l) => Type::Scalar(l.scalar()),
            Self::Has { .. } => Type::BOOL,
            Self::Var { ty, .. }
            | Self::Local { ty, .. }
            | Self::Call { ty, .. }
            | Self::Unary { ty, .. }
            | Self::Binary { ty, .. }
            | Self::Field { ty, .. }
            | Self::Macro { ty, .. } => ty.clone(),
        }
    }

    /// The direct children, in order.
    fn children(&self) -> Vec<&Self> {
        match self {
            Self::Lit(_) | Self::Var { .. } | Self::Local { .. } => Vec::new(),
            Self::Call { args, .. } => args.iter().collect(),
            Self::Unary { arg, .. } | Self::Field { arg, .. } | Self::Has { arg, .. } => {
                vec![arg]
            }
            Self::Binary { lhs, rhs, .. } => vec![lhs, rhs],
            Self::Macro { range, body, .. } => vec![range, body],
        }
    }

    /// Calls `f` on this node and every node below it, parents first.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Self)) {
        f(self);
        for c in self.children() {
            c.walk(f);
        }
    }

    /// True when the tree names a variable bound by a macro or an `each` rule.
    #[must_use]
    pub fn has_locals(&self) -> bool {
        let mut found = false;
        self.walk(&mut |e| found |= matches!(e, Self::Local { .. }));
        found
    }

    /// The root argument of every `on_list` call in the tree that names no bound variable
    /// (so that it has one value for the whole verification), in order.
    #[must_use]
    pub fn on_list_roots(&self) -> Vec<&Self> {
        let mut out = Vec::new();
        self.walk(&mut |x| {
            if let Self::Call {
                func: Func::OnList,
                args,
                ..
            } = x
                && let Some(root) = args.get(1).filter(|r| !r.has_locals())
            {
                out.push(root);
            }
        });
        out
    }

    /// Calls `f` on every input name, in order.
    pub fn visit_vars<'a>(&'a self, f: &mut impl FnMut(&'a str)) {
        if let Self::Var { name, .. } = self {
            f(name);
        }
        for c in self.children() {
            c.visit_vars(f);
        }
    }

    /// True when the value depends on neither inputs, bound variables, lists nor `now()`.
    #[must_use]
    pub fn is_constant(&self) -> bool {
        match self {
            Self::Var { .. } | Self::Local { .. } => false,
            Self::Call {
                func: Func::Now | Func::OnList,
                ..
            } => false,
            _ => self.children().into_iter().all(Self::is_constant),
        }
    }

    /// True when the tree uses a form of IR v1.1 (records, macros, `in`, `on_list`).
    #[must_use]
    pub fn uses_v1_1(&self) -> bool {
        let own = match self {
            Self::Local { .. } | Self::Field { .. } | Self::Has { .. } | Self::Macro { .. } => true,
            Self::Call {
                func: Func::OnList, ..
            }
            | Self::Binary { op: BinOp::In, .. } => true,
            other => !other.ty().is_v1(),
        };
        own || self.children().into_iter().any(Self::uses_v1_1)
    }
}
