//! The on-chain modules every Weft node runs.
//!
//! One list, so `weft up`, `weft node` and the tests always execute the same state machine:
//! the ledger's built-in governance module, then the modules of `weft-did` and `weft-mpc`.

use weft_chain::ModuleRegistry;

/// The registry of every module a Weft node runs.
pub fn registry() -> ModuleRegistry {
    weft_did::modules()
        .into_iter()
        .chain(weft_mpc::modules())
        .fold(ModuleRegistry::with_defaults(), |registry, module| {
            registry.with(module)
        })
}
