//! The deprecated legacy strategy warns once per process, not per call or per executor.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use executor::{
    externalities::InMemoryExternalities, Executor, ExecutorConfig, InstantiationStrategy,
    RuntimeCode,
};
use runtime_wasm::{entry_points as api, WASM_BINARY_V1};
use tracing_subscriber::layer::SubscriberExt;

/// Counts warnings that mention the deprecation.
struct CountDeprecations(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CountDeprecations {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Message(bool);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" && format!("{value:?}").contains("deprecated") {
                    self.0 = true;
                }
            }
        }
        let mut message = Message(false);
        event.record(&mut message);
        if *event.metadata().level() == tracing::Level::WARN && message.0 {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[test]
fn legacy_strategy_warns_exactly_once() {
    let warnings = Arc::new(AtomicUsize::new(0));
    let subscriber = tracing_subscriber::registry().with(CountDeprecations(warnings.clone()));
    tracing::subscriber::set_global_default(subscriber).unwrap();

    for _ in 0..3 {
        let executor = Executor::new(ExecutorConfig {
            strategy: InstantiationStrategy::LegacyInstanceReuse,
            ..Default::default()
        })
        .unwrap();
        for _ in 0..5 {
            executor
                .call(
                    &RuntimeCode::from_bytes(WASM_BINARY_V1),
                    api::TEST_EMPTY,
                    &[],
                    &mut InMemoryExternalities::new(),
                )
                .unwrap();
        }
    }
    assert_eq!(warnings.load(Ordering::SeqCst), 1);
}
