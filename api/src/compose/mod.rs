//! Node composition for the `weft` binary: `weft up` (one validator) and `weft node` (one node
//! of a BFT network) open the ledger, start consensus, build the service context and serve the
//! HTTP interface (JSON-RPC, WebSocket, REST, web UI) over it.

mod node;
mod up;

/// Runs `weft up` and `weft node` for [`weft_cli::run`].
#[derive(Debug)]
pub struct Runner;

impl weft_cli::NodeRunner for Runner {
    fn up(&self, args: weft_cli::UpArgs) -> anyhow::Result<()> {
        up::run(args)
    }

    fn node(&self, args: weft_cli::NodeArgs) -> anyhow::Result<()> {
        node::run(args)
    }
}
