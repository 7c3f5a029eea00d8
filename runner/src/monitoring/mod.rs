//! Monitoring integration: a run's numbers in Prometheus and its phases in a tracing backend, so perf runs
//! sit on the same dashboards as production. The README's "Monitoring" section is the user guide.
//!
//! - the textfile `metrics_<ts>.prom` is written with the other reports ([`crate::output`]);
//! - [`push`]: the finished run PUT to a Pushgateway (`--pushgateway`);
//! - [`live`]: a `/metrics` endpoint during the run (`--metrics-addr`), fed by engine events;
//! - [`otel`]: OTLP spans of the run when tracing is enabled;
//! - [`traceparent`]: W3C trace context on requests to the target (`propagate_trace_context`).
//!
//! The pipeline touches this module at three points: [`Monitoring::start`] before the run (binds the live
//! endpoint — a taken port fails at once — and picks the run's trace id), [`Monitoring::observers`] for the
//! engine, and [`Monitoring::finish`] after the analysis. Nothing here can fail a run after it started: a
//! gateway or collector that is down becomes a warning on stderr and in the record.

pub mod client;
pub mod live;
pub mod otel;
pub mod push;
pub mod traceparent;

use perfgate_reports::record::RunRecord;

use crate::config::{redact_userinfo, Settings};
use crate::engine::events::Observer;
use crate::error::Result;
use traceparent::TraceParent;

/// Monitoring for one run.
pub struct Monitoring {
    live: Option<live::LiveEndpoint>,
    clock: otel::PhaseClock,
    /// The run's trace context, when tracing or propagation is on.
    trace: Option<TraceParent>,
    tracing: bool,
    propagate: bool,
    pushgateway: Option<String>,
}

impl Monitoring {
    /// Prepares monitoring before the run: binds the live endpoint (exit 2 when it cannot) and chooses the
    /// run's trace id. `resource_source` is `target` when the service's pid is known, else `runner`.
    pub fn start(settings: &Settings, resource_source: &'static str) -> Result<Self> {
        let m = &settings.monitoring;
        let live = match m.metrics_addr {
            Some(addr) => {
                let ep = live::LiveEndpoint::start(addr, &settings.suite, resource_source)?;
                if !ep.addr().ip().is_loopback() {
                    eprintln!(
                        "perfgate: note: the live metrics endpoint listens on {} (not loopback): anyone who can \
                         reach this machine can read it",
                        ep.addr()
                    );
                }
                eprintln!("perfgate: live metrics on http://{}/metrics", ep.addr());
                Some(ep)
            }
            None => None,
        };
        let trace = (settings.enable_tracing || m.propagate_trace_context)
            .then(|| TraceParent::new(traceparent::new_trace_id()));
        Ok(Self {
            live,
            clock: otel::PhaseClock::default(),
            trace,
            tracing: settings.enable_tracing,
            propagate: m.propagate_trace_context,
            pushgateway: m.pushgateway.clone(),
        })
    }

    /// The trace context HTTP targets should send, when `propagate_trace_context` is on.
    pub fn propagation(&self) -> Option<TraceParent> {
        self.trace.filter(|_| self.propagate)
    }

    /// The address the live endpoint listens on.
    pub fn metrics_addr(&self) -> Option<std::net::SocketAddr> {
        self.live.as_ref().map(live::LiveEndpoint::addr)
    }

    /// Observers to attach to the engine.
    pub fn observers(&self) -> Vec<Box<dyn Observer>> {
        let mut list: Vec<Box<dyn Observer>> = Vec::new();
        if let Some(l) = &self.live {
            list.push(Box::new(l.observer()));
        }
        if self.tracing {
            list.push(Box::new(self.clock.clone()));
        }
        list
    }

    /// After the analysis: stops the live endpoint, pushes to the Pushgateway and exports traces. Failures
    /// become warnings (stderr and `record.warnings`).
    pub fn finish(mut self, record: &mut RunRecord) {
        drop(self.live.take());
        let mut warnings = Vec::new();
        if let Some(url) = &self.pushgateway {
            match push::push(url, record, push::Retry::default()) {
                Ok(()) => eprintln!(
                    "perfgate: pushed metrics to the Pushgateway at {} (job {}, suite {})",
                    redact_userinfo(url),
                    push::JOB,
                    record.suite
                ),
                Err(w) => warnings.push(w),
            }
        }
        if let Some(tp) = self.trace {
            if self.tracing {
                match otel::export(record, &self.clock.phases(), tp.trace_id()) {
                    Ok(n) => eprintln!(
                        "perfgate: exported {n} spans of trace {} to {}",
                        tp.trace_id_hex(),
                        otel::traces_endpoint()
                    ),
                    Err(w) => warnings.push(w),
                }
            } else {
                eprintln!(
                    "perfgate: requests carried traceparent with trace id {} (set PERFORMANCE_ENABLE_TRACING=true \
                     to export the run's own spans too)",
                    tp.trace_id_hex()
                );
            }
        }
        for w in warnings {
            eprintln!("perfgate: warning: {w}");
            record.warnings.push(w);
        }
    }
}
