//! The exit-code table (one place in the code, documented in the README) and error
//! classification. Every stage has precise error types below; `anyhow` carries them to the
//! top, where [`exit_code`] maps the first recognised cause to an [`Exit`].

use std::fmt;

/// Exit codes of `persona-drift`. This is the only table; the README documents it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything worked; no drift beyond the gates.
    Success = 0,
    /// Drift beyond a `--fail-on` gate.
    Drift = 1,
    /// Bad usage, configuration or input (a flag, a probe file, a run directory, a gate rule).
    Usage = 2,
    /// Could not measure: provider failures, authentication, too few replies.
    Unmeasurable = 3,
    /// Interrupted by Ctrl-C; finished work is kept and the run can be resumed.
    Interrupted = 130,
}

impl Exit {
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The table as (code, meaning) rows, for `--help` and the README test.
    pub const TABLE: &'static [(i32, &'static str)] = &[
        (0, "no drift beyond the gates (or the command succeeded)"),
        (1, "drift beyond a --fail-on gate"),
        (2, "bad usage, configuration or input"),
        (
            3,
            "could not measure: provider failures, authentication, too few replies",
        ),
        (
            130,
            "interrupted (Ctrl-C); finished work is kept, rerun to resume",
        ),
    ];
}

/// An error that carries its own exit code, for failures that have no richer type.
#[derive(Debug)]
pub struct Coded {
    pub exit: Exit,
    pub message: String,
}

impl fmt::Display for Coded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Coded {}

/// Bad usage, configuration or input (exit 2).
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Coded {
        exit: Exit::Usage,
        message: message.into(),
    })
}

/// Could not measure (exit 3).
pub fn unmeasurable(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Coded {
        exit: Exit::Unmeasurable,
        message: message.into(),
    })
}

/// Drift beyond the gates (exit 1).
pub fn drift(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Coded {
        exit: Exit::Drift,
        message: message.into(),
    })
}

/// Interrupted (exit 130).
pub fn interrupted(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Coded {
        exit: Exit::Interrupted,
        message: message.into(),
    })
}

/// Map an error to its exit code: the first cause in the chain with a known type decides.
pub fn exit_code(err: &anyhow::Error) -> Exit {
    for cause in err.chain() {
        if let Some(c) = cause.downcast_ref::<Coded>() {
            return c.exit;
        }
        if cause.downcast_ref::<crate::probes::ProbeError>().is_some() {
            return Exit::Usage;
        }
        if let Some(e) = cause.downcast_ref::<crate::store::StoreError>() {
            return e.exit();
        }
    }
    Exit::Usage
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coded_errors_keep_their_exit_through_context() {
        let e = unmeasurable("401 from http://127.0.0.1/v1").context("while running probe x");
        assert_eq!(exit_code(&e), Exit::Unmeasurable);
        assert_eq!(exit_code(&drift("gate")), Exit::Drift);
        assert_eq!(exit_code(&usage("bad flag")), Exit::Usage);
    }

    #[test]
    fn table_codes_match_enum() {
        let codes: Vec<i32> = Exit::TABLE.iter().map(|r| r.0).collect();
        assert_eq!(
            codes,
            vec![
                Exit::Success.code(),
                Exit::Drift.code(),
                Exit::Usage.code(),
                Exit::Unmeasurable.code(),
                Exit::Interrupted.code()
            ]
        );
    }
}
