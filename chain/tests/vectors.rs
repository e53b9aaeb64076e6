//! Frozen encodings: these bytes and hashes must never change (they are signed and hashed on
//! chain), plus property tests of the canonical encodings.

use proptest::prelude::*;
use weft_chain::governance::{self, GovernanceCall};
use weft_chain::{
    Address, BlockHeader, Event, Hash, Keypair, Receipt, ReceiptStatus, SignedTransaction,
    Transaction, TxError, TxErrorKind,
};

fn frozen_tx() -> SignedTransaction {
    let kp = Keypair::from_seed(&[1u8; 32]);
    Transaction {
        chain_id: "weft-local".into(),
        sender: kp.public_key(),
        nonce: 7,
        call: governance::call(GovernanceCall::SetConfig {
            key: "k".into(),
            value: "v".into(),
        }),
    }
    .sign(&kp)
}

const FROZEN_TX_HEX: &str = "010a000000776566742d6c6f63616c8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c07000000000000000a000000676f7665726e616e63650a0000007365745f636f6e6669670b00000001010000006b010000007622613cfced6bf83a13575817c0be287ed1fde721ec82071b3b21ef5efdb21da2be63f071b82fdd55454fc343d33097ab539816e37ef37c86ce75a9e224436a06";
const FROZEN_TX_HASH: &str = "0xceefd825d1a378521cb3bd827626b8b3236405e9d5ee006802ae5faa93ed34c3";
const FROZEN_ADDRESS: &str = "0x34750f98bd59fcfc946da45aaabe933be154a4b5";

#[test]
fn frozen_transaction_v1() {
    let tx = frozen_tx();
    assert_eq!(hex::encode(tx.encode()), FROZEN_TX_HEX);
    assert_eq!(tx.hash().to_string(), FROZEN_TX_HASH);
    assert_eq!(tx.sender_address().to_string(), FROZEN_ADDRESS);
    let decoded = SignedTransaction::decode(&hex::decode(FROZEN_TX_HEX).unwrap()).unwrap();
    decoded.verify_signature().unwrap();
}

fn header_strategy() -> impl Strategy<Value = BlockHeader> {
    (
        any::<u64>(),
        any::<u64>(),
        any::<[u8; 32]>(),
        any::<[u8; 20]>(),
        "[a-z0-9-]{1,32}",
    )
        .prop_map(|(height, ts, h, a, chain_id)| BlockHeader {
            chain_id,
            height,
            parent_hash: Hash(h),
            timestamp_ms: ts,
            proposer: Address(a),
            transactions_root: Hash::sha256(&h),
            receipts_root: Hash::sha256(&a),
            state_root: Hash(h),
            validators_hash: Hash::ZERO,
        })
}

proptest! {
    #[test]
    fn header_encoding_round_trips(h in header_strategy()) {
        let bytes = borsh::to_vec(&h).unwrap();
        let back: BlockHeader = borsh::from_slice(&bytes).unwrap();
        prop_assert_eq!(&back, &h);
        prop_assert_eq!(back.hash(), h.hash());
        let json = serde_json::to_string(&h).unwrap();
        prop_assert_eq!(serde_json::from_str::<BlockHeader>(&json).unwrap(), h);
    }

    #[test]
    fn receipt_encoding_round_trips(
        height in any::<u64>(),
        index in any::<u32>(),
        failed in any::<bool>(),
        err in proptest::option::of(".{0,40}"),
        attrs in proptest::collection::vec((".{0,8}", ".{0,8}"), 0..4),
    ) {
        let r = Receipt {
            tx_hash: Hash::sha256(&height.to_le_bytes()),
            height,
            index,
            status: if failed { ReceiptStatus::Failed } else { ReceiptStatus::Success },
            error: err.map(|message| TxError {
                kind: [
                    TxErrorKind::UnknownModule,
                    TxErrorKind::InvalidArgs,
                    TxErrorKind::Unauthorized,
                    TxErrorKind::NotFound,
                    TxErrorKind::Rejected,
                ][index as usize % 5],
                code: "some_code".into(),
                message,
            }),
            events: vec![Event { module: "m".into(), kind: "k".into(), attributes: attrs }],
        };
        let bytes = borsh::to_vec(&r).unwrap();
        prop_assert_eq!(borsh::from_slice::<Receipt>(&bytes).unwrap(), r.clone());
        let json = serde_json::to_string(&r).unwrap();
        prop_assert_eq!(serde_json::from_str::<Receipt>(&json).unwrap(), r);
    }
}
