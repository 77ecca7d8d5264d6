//! Typed expression trees as they appear in IR v1, their JSON form, their typing rules and
//! a printer that renders them back as source-like text (used in report details).

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
}

impl Func {
    /// Every function, for error messages and docs.
    pub const ALL: [Func; 6] = [
        Self::Len,
        Self::Count,
        Self::Min,
        Self::Max,
        Self::Sum,
        Self::Now,
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
            (Self::Len | Self::Count, [Type::Array(_)]) => Ok(Type::NUMBER),
            (Self::Len | Self::Count, _) => Err(format!("`{n}` takes one array")),
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
    pub const fn result_type(self, t: Type) -> Option<Type> {
        match (self, t) {
            (Self::Not, Type::BOOL) => Some(Type::BOOL),
            (Self::Neg, Type::Scalar(s @ (Scalar::Number | Scalar::Duration))) => {
                Some(Type::Scalar(s))
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
}

impl BinOp {
    /// Every operator.
    pub const ALL: [BinOp; 12] = [
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
        }
    }

    /// Binding strength: higher binds tighter.
    #[must_use]
    pub const fn precedence(self) -> u8 {
        match self {
            Self::Or => 1,
            Self::And => 2,
            Self::Eq | Self::Ne | Self::Lt | Self::Le | Self::Gt | Self::Ge => 3,
            Self::Add | Self::Sub => 4,
            Self::Mul | Self::Div => 5,
        }
    }

    /// The result type, or `None` when the operands do not fit.
    #[must_use]
    pub fn result_type(self, l: Type, r: Type) -> Option<Type> {
        use Scalar::{Bool, Date, Duration as Dur, Number as Num};
        let (Type::Scalar(a), Type::Scalar(b)) = (l, r) else {
            return None;
        };
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
}

impl Expr {
    /// The expression's type.
    #[must_use]
    pub fn ty(&self) -> Type {
        match self {
            Self::Lit(l) => Type::Scalar(l.scalar()),
            Self::Var { ty, .. }
            | Self::Call { ty, .. }
            | Self::Unary { ty, .. }
            | Self::Binary { ty, .. } => *ty,
        }
    }

    /// Calls `f` on every variable name, in order.
    pub fn visit_vars<'a>(&'a self, f: &mut impl FnMut(&'a str)) {
        match self {
            Self::Lit(_) => {}
            Self::Var { name, .. } => f(name),
            Self::Call { args, .. } => args.iter().for_each(|a| a.visit_vars(f)),
            Self::Unary { arg, .. } => arg.visit_vars(f),
            Self::Binary { lhs, rhs, .. } => {
                lhs.visit_vars(f);
                rhs.visit_vars(f);
            }
        }
    }

    /// True when the value depends on neither inputs nor `now()`.
    #[must_use]
    pub fn is_constant(&self) -> bool {
        match self {
            Self::Lit(_) => true,
            Self::Var { .. } => false,
            Self::Call { func, args, .. } => {
                *func != Func::Now && args.iter().all(Self::is_constant)
            }
            Self::Unary { arg, .. } => arg.is_constant(),
            Self::Binary { lhs, rhs, .. } => lhs.is_constant() && rhs.is_constant(),
        }
    }

    /// Checks that every node's recorded type follows from its children (for IR that was
    /// read from JSON rather than produced by the compiler). Variables are checked against
    /// `input_type`.
    ///
    /// # Errors
    /// A message naming the first inconsistent node.
    pub fn check_types(&self, input_type: &impl Fn(&str) -> Option<Type>) -> Result<(), String> {
        let expect = |want: Option<Type>, got: Type, what: &str| match want {
            Some(w) if w == got => Ok(()),
            _ => Err(format!(
                "{what} is recorded as `{got}`, which its operands do not give"
            )),
        };
        match self {
            Self::Lit(_) => Ok(()),
            Self::Var { name, ty } => match input_type(name) {
                Some(t) if t == *ty => Ok(()),
                Some(t) => Err(format!(
                    "input `{name}` is declared `{t}` but used as `{ty}`"
                )),
                None => Err(format!("input `{name}` is not declared")),
            },
            Self::Call { func, args, ty } => {
                args.iter().try_for_each(|a| a.check_types(input_type))?;
                let tys: Vec<Type> = args.iter().map(Self::ty).collect();
                expect(
                    func.result_type(&tys).ok(),
                    *ty,
                    &format!("`{}()`", func.name()),
                )
            }
            Self::Unary { op, arg, ty } => {
                arg.check_types(input_type)?;
                expect(op.result_type(arg.ty()), *ty, &format!("`{}`", op.name()))
            }
            Self::Binary { op, lhs, rhs, ty } => {
                lhs.check_types(input_type)?;
                rhs.check_types(input_type)?;
                expect(
                    op.result_type(lhs.ty(), rhs.ty()),
                    *ty,
                    &format!("`{}`", op.symbol()),
                )
            }
        }
    }
}
