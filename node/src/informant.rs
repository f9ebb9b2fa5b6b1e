//! The informant: a status line every few seconds, as Substrate nodes print, so that an
//! operator sees the chain advance (or not) without querying the RPC.

use std::{sync::Arc, time::Duration};

use crate::client::{hex_hash, pool::Pool, ChainInfo, Client, Hash};

/// How often the status is logged (Substrate's period).
pub const INTERVAL: Duration = Duration::from_secs(5);

/// Logs the status every [`INTERVAL`] until the task is dropped.
pub async fn run(client: Arc<Client>, pool: Arc<Pool>) {
    let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + INTERVAL, INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        tracing::info!("{}", status_line(&client.info(), pool.ready().len()));
    }
}

/// `💤 Idle (0 peers), best: #N (0xabcd…1234), finalized #M (0x…), txpool: R ready`: the node
/// has no networking, so it is always idle with no peers.
pub fn status_line(info: &ChainInfo, ready: usize) -> String {
    format!(
        "💤 Idle (0 peers), best: #{} ({}), finalized #{} ({}), txpool: {ready} ready",
        info.best_number,
        short_hash(&info.best_hash),
        info.finalized_number,
        short_hash(&info.finalized_hash),
    )
}

/// A hash as Substrate's informant abbreviates it: the first and last two bytes.
fn short_hash(hash: &Hash) -> String {
    let hex = hex_hash(hash);
    format!("{}…{}", &hex[..6], &hex[hex.len() - 4..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_line_like_substrate() {
        let mut best = [0x11; 32];
        best[0] = 0xd8;
        best[31] = 0x7b;
        let info = ChainInfo {
            genesis_hash: [0; 32],
            best_hash: best,
            best_number: 12,
            finalized_hash: [0xab; 32],
            finalized_number: 10,
        };
        assert_eq!(
            status_line(&info, 3),
            "💤 Idle (0 peers), best: #12 (0xd811…117b), finalized #10 (0xabab…abab), \
             txpool: 3 ready"
        );
    }
}
