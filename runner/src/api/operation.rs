//! [`Operation`]: a named async closure returning `Result<(), E>`, the unit the library API measures.
//!
//! An operation is type-erased once, when it is built, so that a list of operations with different closure
//! and error types can run as one target. Each call boxes the operation's future (one small allocation per
//! call; closures are not on a path where that matters next to the work they do). A failed call becomes a
//! [`CallError`] whose kind is the key the run record counts it under: the key a
//! [`classify`](Operation::classify) function returns, or by default a slug of the error's `Display`
//! ([`error_key`](super::error_key)).

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::fmt::{self, Display};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use super::error_key::key_of;
use crate::targets::{CallError, ErrorKind, Outcome};

/// A future the engine polls on one worker thread (it need not be `Send`).
pub(crate) type LocalFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Per-user state of one operation (a `()` for operations without state; boxing a `()` allocates nothing).
pub(crate) type State = Box<dyn Any>;

type Classifier<E> = Box<dyn Fn(&E) -> Cow<'static, str> + Send + Sync>;

/// The typed inside of an [`Operation`].
trait Erased: Send + Sync {
    fn init(&self) -> LocalFuture<'_, Result<State, CallError>>;
    fn call<'a>(&'a self, state: &'a mut State) -> LocalFuture<'a, Outcome>;
    /// Installs a classifier (a boxed `Classifier<E>`); `false` when its error type is not this operation's.
    fn set_classifier(&mut self, classifier: Box<dyn Any + Send + Sync>) -> bool;
}

/// Turns an operation's error into a [`CallError`] keyed by the classifier or the `Display` slug.
fn call_error<E: Display>(classifier: &Option<Classifier<E>>, e: &E) -> CallError {
    let key: Cow<'static, str> = match classifier {
        Some(f) => f(e),
        None => Cow::Owned(key_of(e).as_str().to_string()),
    };
    CallError::new(ErrorKind::Other(key), e.to_string())
}

struct Stateless<F, E> {
    f: F,
    classifier: Option<Classifier<E>>,
}

impl<F, E> Erased for Stateless<F, E>
where
    F: AsyncFn() -> Result<(), E> + Send + Sync + 'static,
    E: Display + 'static,
{
    fn init(&self) -> LocalFuture<'_, Result<State, CallError>> {
        Box::pin(std::future::ready(Ok(Box::new(()) as State)))
    }

    fn call<'a>(&'a self, _state: &'a mut State) -> LocalFuture<'a, Outcome> {
        Box::pin(async move {
            (self.f)()
                .await
                .map_err(|e| call_error(&self.classifier, &e))
        })
    }

    fn set_classifier(&mut self, classifier: Box<dyn Any + Send + Sync>) -> bool {
        match classifier.downcast::<Classifier<E>>() {
            Ok(c) => {
                self.classifier = Some(*c);
                true
            }
            Err(_) => false,
        }
    }
}

struct PerUser<I, F, S, E> {
    init: I,
    f: F,
    classifier: Option<Classifier<E>>,
    _state: std::marker::PhantomData<fn() -> S>,
}

impl<I, F, S, E> Erased for PerUser<I, F, S, E>
where
    I: AsyncFn() -> Result<S, E> + Send + Sync + 'static,
    F: AsyncFn(&mut S) -> Result<(), E> + Send + Sync + 'static,
    S: 'static,
    E: Display + 'static,
{
    fn init(&self) -> LocalFuture<'_, Result<State, CallError>> {
        Box::pin(async move {
            match (self.init)().await {
                Ok(s) => Ok(Box::new(s) as State),
                Err(e) => Err(call_error(&self.classifier, &e)),
            }
        })
    }

    fn call<'a>(&'a self, state: &'a mut State) -> LocalFuture<'a, Outcome> {
        Box::pin(async move {
            // The engine hands every operation the state its own `init` made, so this always matches.
            let Some(s) = state.downcast_mut::<S>() else {
                return Err(CallError::new(
                    ErrorKind::Other("state".into()),
                    "per-user state of another type",
                ));
            };
            (self.f)(s)
                .await
                .map_err(|e| call_error(&self.classifier, &e))
        })
    }

    fn set_classifier(&mut self, classifier: Box<dyn Any + Send + Sync>) -> bool {
        match classifier.downcast::<Classifier<E>>() {
            Ok(c) => {
                self.classifier = Some(*c);
                true
            }
            Err(_) => false,
        }
    }
}

/// A named async operation to benchmark, load-test or stress: an async closure returning `Result<(), E>`.
///
/// The closure is called once per request, on one of perfgate's worker threads (each runs a current-thread
/// Tokio runtime with time and I/O enabled), so the future it returns need not be `Send`; the closure itself
/// is shared by the workers and must be `Send + Sync`. Create runtime-bound resources (sockets, clients that
/// bind to a runtime) inside the call or per virtual user with [`Operation::per_user`], not in the caller's
/// runtime.
///
/// `Err(e)` counts as a failed request under the key [`classify`](Operation::classify) returns, or by
/// default under a short slug of `e`'s `Display` text ([`error_key`](super::error_key)); the full text is
/// kept in the record's `error_samples` (up to five distinct messages). A panic inside the closure or its
/// future is caught and counted under `panic`; the run continues.
///
/// ```
/// use std::time::Duration;
/// use perfgate::Operation;
///
/// let op = Operation::new("sleep_1ms", async || {
///     tokio::time::sleep(Duration::from_millis(1)).await;
///     Ok::<(), std::io::Error>(())
/// })
/// .weight(3)
/// .timeout(Duration::from_secs(2));
/// assert_eq!(op.name(), "sleep_1ms");
/// ```
pub struct Operation {
    name: String,
    weight: u32,
    timeout: Option<Duration>,
    inner: Box<dyn Erased>,
    error_type: (TypeId, &'static str),
    /// A classifier given for another error type (reported when the run starts).
    mismatch: Option<String>,
}

impl fmt::Debug for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Operation")
            .field("name", &self.name)
            .field("weight", &self.weight)
            .field("timeout", &self.timeout)
            .field("error_type", &self.error_type.1)
            .finish_non_exhaustive()
    }
}

impl Operation {
    /// An operation without per-user state: `f` is called for every request.
    ///
    /// `f` may be an async closure (`async || { … }`), a closure returning a future (`|| async { … }`) or an
    /// `async fn` without arguments.
    ///
    /// ```
    /// # async fn fetch_user() -> Result<(), String> { Ok(()) }
    /// let op = perfgate::Operation::new("fetch_user", fetch_user);
    /// # let _ = op;
    /// ```
    pub fn new<F, E>(name: impl Into<String>, f: F) -> Self
    where
        F: AsyncFn() -> Result<(), E> + Send + Sync + 'static,
        E: Display + 'static,
    {
        Self::from_erased(
            name.into(),
            Box::new(Stateless {
                f,
                classifier: None,
            }),
            (TypeId::of::<E>(), std::any::type_name::<E>()),
        )
    }

    /// An operation with state per virtual user, like the CLI's HTTP target keeps one connection per user.
    ///
    /// `init` runs once for every virtual user before its first call (and again after it failed); its time is
    /// kept apart from the calls' latencies. `f` gets the user's state on every call. A failed `init` counts
    /// as a failed request of the operation the user was about to call.
    ///
    /// ```
    /// use perfgate::{blocking, LoadTestConfig, Operation};
    ///
    /// // Each virtual user counts its own calls.
    /// let op = Operation::per_user(
    ///     "counted",
    ///     async || Ok::<u64, std::fmt::Error>(0),
    ///     async |calls: &mut u64| {
    ///         *calls += 1;
    ///         Ok(())
    ///     },
    /// );
    /// let cfg = LoadTestConfig { duration_seconds: 0.05, concurrent_users: 2, ..Default::default() };
    /// let run = blocking::load_test([op], cfg)?;
    /// assert!(run.result("counted").unwrap().total_requests > 0);
    /// # Ok::<(), perfgate::Error>(())
    /// ```
    pub fn per_user<S, I, F, E>(name: impl Into<String>, init: I, f: F) -> Self
    where
        I: AsyncFn() -> Result<S, E> + Send + Sync + 'static,
        F: AsyncFn(&mut S) -> Result<(), E> + Send + Sync + 'static,
        S: 'static,
        E: Display + 'static,
    {
        Self::from_erased(
            name.into(),
            Box::new(PerUser {
                init,
                f,
                classifier: None,
                _state: std::marker::PhantomData,
            }),
            (TypeId::of::<E>(), std::any::type_name::<E>()),
        )
    }

    fn from_erased(
        name: String,
        inner: Box<dyn Erased>,
        error_type: (TypeId, &'static str),
    ) -> Self {
        Self {
            name,
            weight: 1,
            timeout: None,
            inner,
            error_type,
            mismatch: None,
        }
    }

    /// Classifies errors with `f`: the key it returns is what the record counts failures under (keep the
    /// set of keys small and stable: `"db_timeout"`, not the error's full text).
    ///
    /// `E` must be the operation's error type; when it is not, the run is refused with an
    /// [`Error::Usage`](crate::Error::Usage) naming both types.
    ///
    /// ```
    /// use perfgate::{blocking, BenchmarkConfig, Operation};
    ///
    /// #[derive(Debug)]
    /// enum DbError { Timeout(u64), Gone }
    /// impl std::fmt::Display for DbError {
    ///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    ///         write!(f, "{self:?}")
    ///     }
    /// }
    ///
    /// let op = Operation::new("query", async || Err::<(), _>(DbError::Timeout(17)))
    ///     .classify(|e: &DbError| match e {
    ///         DbError::Timeout(_) => "db_timeout",
    ///         DbError::Gone => "db_gone",
    ///     });
    /// let cfg = BenchmarkConfig { iterations: 3, warmup_iterations: 0, ..Default::default() };
    /// let run = blocking::benchmark(op, cfg)?;
    /// assert_eq!(run.result("query").unwrap().errors["db_timeout"], 3);
    /// # Ok::<(), perfgate::Error>(())
    /// ```
    pub fn classify<E, K>(mut self, f: impl Fn(&E) -> K + Send + Sync + 'static) -> Self
    where
        E: 'static,
        K: Into<Cow<'static, str>>,
    {
        let classifier: Classifier<E> = Box::new(move |e: &E| f(e).into());
        if TypeId::of::<E>() != self.error_type.0
            || !self.inner.set_classifier(Box::new(classifier))
        {
            self.mismatch = Some(format!(
                "operation `{}`: classify() takes `&{}` but the operation's error type is `{}`",
                self.name,
                std::any::type_name::<E>(),
                self.error_type.1
            ));
        }
        self
    }

    /// Relative weight in a load or stress mix (default 1; 0 leaves the operation out of the mix).
    pub fn weight(mut self, weight: u32) -> Self {
        self.weight = weight;
        self
    }

    /// Time limit of one call; a call that takes longer is abandoned and counted under `timeout`. Without
    /// it the config's `request_timeout` applies.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout).filter(|t| !t.is_zero());
        self
    }

    /// The operation's name (the record's `operation_name`).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn weight_value(&self) -> u32 {
        self.weight
    }

    pub(crate) fn timeout_value(&self) -> Option<Duration> {
        self.timeout
    }

    /// A usage problem found while building the operation.
    pub(crate) fn problem(&self) -> Option<&str> {
        self.mismatch.as_deref()
    }

    pub(crate) fn init(&self) -> LocalFuture<'_, Result<State, CallError>> {
        self.inner.init()
    }

    pub(crate) fn call<'a>(&'a self, state: &'a mut State) -> LocalFuture<'a, Outcome> {
        self.inner.call(state)
    }
}
