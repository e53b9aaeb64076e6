//! The wire and WAL encoding of consensus messages: borsh, through Malachite's own borsh
//! implementations of its message types (enabled with the crates' `borsh` features).
//!
//! Decoding is strict: trailing bytes are an error.

use borsh::{BorshDeserialize, BorshSerialize};
use bytes::Bytes;
use informalsystems_malachitebft_codec::Codec;

/// Borsh codec for every message Malachite sends or logs.
#[derive(Debug, Clone, Copy, Default)]
pub struct BorshCodec;

impl<T> Codec<T> for BorshCodec
where
    T: BorshSerialize + BorshDeserialize + 'static,
{
    type Error = std::io::Error;

    fn decode(&self, bytes: Bytes) -> Result<T, std::io::Error> {
        borsh::from_slice(&bytes)
    }

    fn encode(&self, msg: &T) -> Result<Bytes, std::io::Error> {
        borsh::to_vec(msg).map(Bytes::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consensus::context::{Height, ValidatorAddress, Vote, WeftContext};
    use crate::Signature;
    use informalsystems_malachitebft_core_consensus::SignedConsensusMsg;
    use informalsystems_malachitebft_core_types::{NilOrVal, Round, SignedMessage, VoteType};

    #[test]
    fn consensus_messages_round_trip_and_trailing_bytes_are_refused() {
        let vote = Vote {
            vote_type: VoteType::Prevote,
            height: Height(3),
            round: Round::new(1),
            value: NilOrVal::Nil,
            validator: ValidatorAddress::default(),
        };
        let msg: SignedConsensusMsg<WeftContext> =
            SignedConsensusMsg::Vote(SignedMessage::new(vote, Signature([7; 64])));
        let bytes = Codec::<SignedConsensusMsg<WeftContext>>::encode(&BorshCodec, &msg).unwrap();
        let back: SignedConsensusMsg<WeftContext> = BorshCodec.decode(bytes.clone()).unwrap();
        assert_eq!(back, msg);
        let mut longer = bytes.to_vec();
        longer.push(0);
        let r: Result<SignedConsensusMsg<WeftContext>, _> = BorshCodec.decode(longer.into());
        assert!(r.is_err());
    }
}
