//! `weft chain status`.

use serde_json::{json, Value};

use crate::client::RpcClient;

pub async fn status(rpc: &str) -> anyhow::Result<()> {
    let client = RpcClient::new(rpc);
    let status = client.call("getSyncStatus", json!([])).await?;
    let validators = client.call("getValidators", json!([])).await?;
    let field = |name: &str| status.get(name).map(display).unwrap_or_default();
    println!("node:         {}", client.url());
    println!("chain id:     {}", field("chainId"));
    println!("height:       {}", field("latestHeight"));
    println!("latest hash:  {}", field("latestHash"));
    println!("pool size:    {}", field("poolSize"));
    println!("syncing:      {}", field("syncing"));
    let validators = validators.as_array().cloned().unwrap_or_default();
    println!("validators:   {}", validators.len());
    for validator in &validators {
        println!(
            "  {} {} power {}",
            validator.get("name").map(display).unwrap_or_default(),
            validator.get("address").map(display).unwrap_or_default(),
            validator.get("power").map(display).unwrap_or_default(),
        );
    }
    Ok(())
}

fn display(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}
