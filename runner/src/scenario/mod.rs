//! Scenarios: multi-step user journeys (`[[scenarios]]`), the pure half.
//!
//! A scenario's steps are HTTP requests whose path, headers and body are [`template::Template`]s with
//! `${var}` slots, filled from the virtual user's variables (its `data_file` row, values extracted from
//! earlier responses) and from generated values (`${uuid}`, `${seq}`, `${random_int(1,100)}`). After each
//! response, [`inspect`] runs the step's checks and extractions. Nothing here does I/O: the engine sends the
//! request these modules build and hands the response back, so the rules are unit-tested without a server.

pub mod inspect;
pub mod step;
pub mod template;

pub use inspect::{Check, CheckKind, Extract, Response, Source};
pub use step::{BuiltRequest, StepError, UserState};
pub use template::{Generator, Template, Vars};
