//! The peer-to-peer session protocol over a request/response transport (HTTP in `weft-api`):
//! the initiator always asks, the responder always answers, so the responder never needs a
//! connection back and its work is driven (and bounded) by the initiator's requests.
//!
//! Every request and response is a [`wire::Envelope`](super::wire::Envelope) — signed, bound to
//! the session, sequenced per direction. The states are sync and do no IO: the transport calls
//! [`InitiatorSession::next_request`] / [`InitiatorSession::on_response`] and
//! [`ResponderSession::handle`], and owns timeouts and cancellation.
//!
//! Requests in order: `Hello` (the parameters) → `Points` (each initiator batch; answered with
//! the tags for it) → `EndOfPoints` (answered with the remaining tags) → `Pull` (answered with
//! one responder batch, or none when all are sent) with the initiator's tags for the previous
//! batch → more `Pull`s carrying any tags left (cardinality mode) → `Finish` (the initiator's
//! signature over the result digest, answered with the responder's).

use borsh::{BorshDeserialize, BorshSerialize};
use weft_chain::{Keypair, PublicKey, Signature};

use super::ecdh::{
    InitiatorAwaitingTags, InitiatorBlinding, InitiatorComparing, InputSet, Limits, Message,
    Outcome, ResponderBlinding, ResponderDoubling, ResponderFinishing, SessionParams,
};
use super::error::PsiError;
use super::ledger::result_signing_bytes;
use super::wire::SecureChannel;

/// An initiator → responder request.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum Request {
    /// Opens the session with these parameters.
    Hello(SessionParams),
    /// One batch of the initiator's blinded points.
    Points(Message),
    /// All initiator points were sent.
    EndOfPoints,
    /// Asks for the next responder batch, carrying the initiator's replies to the previous one.
    Pull(Vec<Message>),
    /// The initiator's signature over the result digest, with its last replies.
    Finish {
        /// Remaining messages for the responder.
        messages: Vec<Message>,
        /// Signature over [`result_signing_bytes`].
        signature: Signature,
    },
}

/// A responder → initiator response.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum Response {
    /// Accepted; messages for the initiator (possibly none).
    Messages(Vec<Message>),
    /// The responder's signature over the result digest.
    Finished {
        /// Signature over [`result_signing_bytes`].
        signature: Signature,
    },
}

fn decode<T: BorshDeserialize>(bytes: &[u8]) -> Result<T, PsiError> {
    borsh::from_slice(bytes).map_err(|e| PsiError::Malformed(e.to_string()))
}

/// Progress counters, for progress bars and the REST status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    /// Own items blinded and sent.
    pub blinded: u64,
    /// Peer items received and blinded.
    pub exchanged: u64,
    /// Doubly-blinded values compared.
    pub compared: u64,
    /// Total work units: own items + peer items + compared values.
    pub total: u64,
}

enum IState {
    Hello(InitiatorBlinding),
    Blinding(InitiatorBlinding),
    EndOfPoints(InitiatorAwaitingTags),
    Pulling(InitiatorComparing, Vec<Message>),
    Flushing(Outcome, std::collections::VecDeque<Message>),
    Finishing(Outcome),
    Done(Outcome, Signature),
    Failed,
}

/// The initiator's side of a session over a request/response transport.
pub struct InitiatorSession {
    chan: SecureChannel,
    own: Keypair,
    peer: PublicKey,
    params: SessionParams,
    state: IState,
    pending: Vec<Message>,
    progress: Progress,
}

impl std::fmt::Debug for InitiatorSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InitiatorSession")
            .field("params", &self.params)
            .field("progress", &self.progress)
            .finish_non_exhaustive()
    }
}

fn unexpected(found: &str) -> PsiError {
    PsiError::UnexpectedMessage {
        expected: "the response to the last request".into(),
        found: found.into(),
    }
}

/// The largest envelope a session with `limits` sends (a batch of points or tags plus framing).
pub fn max_envelope_len(limits: &Limits) -> usize {
    limits.max_message_len() + 1024
}

impl InitiatorSession {
    /// Starts a session with `peer` (its pinned key) over `set`.
    pub fn new(
        params: SessionParams,
        limits: Limits,
        set: InputSet,
        own: Keypair,
        peer: PublicKey,
    ) -> Result<InitiatorSession, PsiError> {
        let blinding = InitiatorBlinding::start(params, limits, set)?;
        // Finish may carry up to one batch of tags per pull; allow generous but bounded size.
        let max_len = max_envelope_len(&limits);
        let signer = Keypair::from_seed(&own.to_seed());
        Ok(InitiatorSession {
            chan: SecureChannel::new(params.session_id, signer, peer, max_len),
            own,
            peer,
            params,
            state: IState::Hello(blinding),
            pending: Vec::new(),
            progress: Progress {
                total: params.initiator_size + 2 * params.responder_size,
                ..Progress::default()
            },
        })
    }

    /// The agreed parameters.
    pub fn params(&self) -> &SessionParams {
        &self.params
    }

    /// Progress so far.
    pub fn progress(&self) -> Progress {
        self.progress
    }

    fn seal(&mut self, req: &Request) -> Vec<u8> {
        self.chan.seal(borsh::to_vec(req).expect("write to Vec"))
    }

    /// The next request to send, or `None` once the session is done. Call it once per
    /// response (after [`InitiatorSession::on_response`] returned `None`).
    pub fn next_request(&mut self) -> Result<Option<Vec<u8>>, PsiError> {
        let req = match std::mem::replace(&mut self.state, IState::Failed) {
            IState::Hello(b) => {
                self.state = IState::Blinding(b);
                Request::Hello(self.params)
            }
            IState::Blinding(mut b) => match b.next_batch() {
                Some(m) => {
                    self.progress.blinded = b.sent();
                    self.state = IState::Blinding(b);
                    Request::Points(m)
                }
                None => {
                    self.state = IState::EndOfPoints(b.finish()?);
                    Request::EndOfPoints
                }
            },
            IState::Pulling(c, replies) => {
                self.state = IState::Pulling(c, Vec::new());
                Request::Pull(replies)
            }
            IState::Flushing(outcome, mut queue) => match queue.pop_front() {
                Some(m) => {
                    self.state = IState::Flushing(outcome, queue);
                    Request::Pull(vec![m])
                }
                None => {
                    let signature = self.own.sign(&result_signing_bytes(
                        &self.params.session_id,
                        &outcome.digest,
                    ));
                    self.state = IState::Finishing(outcome);
                    Request::Finish {
                        messages: Vec::new(),
                        signature,
                    }
                }
            },
            done @ IState::Done(..) => {
                self.state = done;
                return Ok(None);
            }
            IState::EndOfPoints(_) | IState::Finishing(_) | IState::Failed => {
                return Err(PsiError::InvalidParams(
                    "no request is due: the session failed or awaits a response".into(),
                ))
            }
        };
        Ok(Some(self.seal(&req)))
    }

    /// Absorbs the response to the last request.
    pub fn on_response(&mut self, bytes: &[u8]) -> Result<(), PsiError> {
        let resp: Response = decode(&self.chan.open(bytes)?)?;
        match (std::mem::replace(&mut self.state, IState::Failed), resp) {
            (IState::Blinding(b), Response::Messages(ms)) => {
                // Tags for a batch of points: absorbed once every point is sent.
                let limit = self.params.initiator_size as usize + 1;
                if self.pending.len() + ms.len() > limit {
                    return Err(PsiError::TooManyItems {
                        found: (self.pending.len() + ms.len()) as u64,
                        limit: limit as u64,
                    });
                }
                self.pending.extend(ms);
                self.state = IState::Blinding(b);
                Ok(())
            }
            (IState::EndOfPoints(mut a), Response::Messages(ms)) => {
                for m in std::mem::take(&mut self.pending).into_iter().chain(ms) {
                    a.receive(m)?;
                }
                self.state = IState::Pulling(a.finish()?, Vec::new());
                Ok(())
            }
            (IState::Pulling(mut c, mut replies), Response::Messages(ms)) => {
                if ms.is_empty() {
                    // Every responder batch arrived: what is left to send goes one batch per
                    // request, then Finish.
                    let (outcome, more) = c.finish()?;
                    replies.extend(more);
                    self.state = IState::Flushing(outcome, replies.into());
                    return Ok(());
                }
                if ms.len() > 1 {
                    return Err(unexpected("more than one batch per pull"));
                }
                for m in ms {
                    if let Some(r) = c.receive(m)? {
                        replies.push(r);
                    }
                }
                self.progress.exchanged = c.received();
                self.progress.compared = c.received();
                self.state = IState::Pulling(c, replies);
                Ok(())
            }
            (IState::Flushing(outcome, queue), Response::Messages(ms)) if ms.is_empty() => {
                self.state = IState::Flushing(outcome, queue);
                Ok(())
            }
            (IState::Finishing(outcome), Response::Finished { signature }) => {
                let msg = result_signing_bytes(&self.params.session_id, &outcome.digest);
                if !self.peer.verify(&msg, &signature) {
                    return Err(PsiError::BadSignature);
                }
                self.progress.exchanged = self.params.responder_size;
                self.progress.compared = self.params.responder_size;
                self.state = IState::Done(outcome, signature);
                Ok(())
            }
            (_, Response::Finished { .. }) => Err(unexpected("Finished")),
            (_, Response::Messages(_)) => Err(unexpected("Messages")),
        }
    }

    /// Whether the session completed.
    pub fn is_done(&self) -> bool {
        matches!(self.state, IState::Done(..))
    }

    /// Consumes the session: the outcome and the responder's signature over its digest, if done.
    pub fn into_outcome(self) -> Option<(Outcome, Signature)> {
        match self.state {
            IState::Done(o, s) => Some((o, s)),
            _ => None,
        }
    }
}

/// What a responder agreed to compute, with whom, before any request arrives.
#[derive(Debug)]
pub struct Offer {
    /// The responder's organisation key.
    pub own: Keypair,
    /// The pinned key of the only initiator allowed.
    pub peer: PublicKey,
    /// The responder's set.
    pub set: InputSet,
    /// The mode the responder accepts.
    pub mode: super::Mode,
    /// Limits on what the initiator may declare.
    pub limits: Limits,
}

enum RState {
    Doubling(ResponderDoubling),
    Blinding(ResponderBlinding),
    Finishing(ResponderFinishing),
    Done(Outcome, Signature),
    Failed,
}

/// The responder's side of a session.
pub struct ResponderSession {
    chan: SecureChannel,
    own: Keypair,
    peer: PublicKey,
    params: SessionParams,
    state: RState,
    pending: Vec<Message>,
    progress: Progress,
}

impl std::fmt::Debug for ResponderSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponderSession")
            .field("params", &self.params)
            .field("progress", &self.progress)
            .finish_non_exhaustive()
    }
}

/// Reads the session id and sender of an envelope without verifying it, to route it (the
/// session then verifies it fully).
pub fn peek_envelope(bytes: &[u8]) -> Result<([u8; 32], PublicKey), PsiError> {
    let env: super::wire::Envelope = decode(bytes)?;
    Ok((env.session_id, env.sender))
}

impl ResponderSession {
    /// Accepts a `Hello` envelope under `offer`; returns the session and the response to send.
    pub fn accept(hello: &[u8], offer: Offer) -> Result<(ResponderSession, Vec<u8>), PsiError> {
        let (session_id, _) = peek_envelope(hello)?;
        let max_len = max_envelope_len(&offer.limits);
        let mut chan = SecureChannel::new(
            session_id,
            Keypair::from_seed(&offer.own.to_seed()),
            offer.peer,
            max_len,
        );
        let Request::Hello(params) = decode(&chan.open(hello)?)? else {
            return Err(PsiError::UnexpectedMessage {
                expected: "Hello".into(),
                found: "another request".into(),
            });
        };
        if params.session_id != session_id {
            return Err(PsiError::WrongSession {
                expected: super::error::hex32(&session_id),
                found: super::error::hex32(&params.session_id),
            });
        }
        if params.mode != offer.mode {
            return Err(PsiError::InvalidParams(format!(
                "mode {:?} requested, {:?} offered",
                params.mode, offer.mode
            )));
        }
        let doubling = ResponderDoubling::start(params, offer.limits, offer.set)?;
        let mut s = ResponderSession {
            chan,
            own: offer.own,
            peer: offer.peer,
            params,
            state: RState::Doubling(doubling),
            pending: Vec::new(),
            progress: Progress {
                total: params.responder_size + 2 * params.initiator_size,
                ..Progress::default()
            },
        };
        let resp = s.seal(&Response::Messages(Vec::new()));
        Ok((s, resp))
    }

    fn seal(&mut self, resp: &Response) -> Vec<u8> {
        self.chan.seal(borsh::to_vec(resp).expect("write to Vec"))
    }

    /// The agreed parameters.
    pub fn params(&self) -> &SessionParams {
        &self.params
    }

    /// Progress so far.
    pub fn progress(&self) -> Progress {
        self.progress
    }

    /// Handles one request envelope; returns the response envelope. After an error the session
    /// is failed and refuses everything.
    pub fn handle(&mut self, bytes: &[u8]) -> Result<Vec<u8>, PsiError> {
        let req: Request = decode(&self.chan.open(bytes)?)?;
        let resp = match (std::mem::replace(&mut self.state, RState::Failed), req) {
            (RState::Doubling(mut d), Request::Points(m)) => {
                let reply = d.receive(m)?;
                self.progress.exchanged = d.received();
                self.progress.compared = d.received();
                self.state = RState::Doubling(d);
                Response::Messages(reply.into_iter().collect())
            }
            (RState::Doubling(d), Request::EndOfPoints) => {
                let (b, more) = d.finish()?;
                self.state = RState::Blinding(b);
                Response::Messages(more)
            }
            (RState::Blinding(mut b), Request::Pull(replies)) => {
                if replies.len() > 1 {
                    return Err(PsiError::Malformed("more than one reply per pull".into()));
                }
                self.pending.extend(replies);
                match b.next_batch() {
                    Some(m) => {
                        self.progress.blinded = b.sent();
                        self.state = RState::Blinding(b);
                        Response::Messages(vec![m])
                    }
                    None => {
                        let mut f = b.finish()?;
                        for m in std::mem::take(&mut self.pending) {
                            f.receive(m)?;
                        }
                        self.state = RState::Finishing(f);
                        Response::Messages(Vec::new())
                    }
                }
            }
            (RState::Finishing(mut f), Request::Pull(replies)) => {
                if replies.len() > 1 {
                    return Err(PsiError::Malformed("more than one reply per pull".into()));
                }
                for m in replies {
                    f.receive(m)?;
                }
                self.state = RState::Finishing(f);
                Response::Messages(Vec::new())
            }
            (
                RState::Finishing(mut f),
                Request::Finish {
                    messages,
                    signature,
                },
            ) => {
                for m in messages {
                    f.receive(m)?;
                }
                let outcome = f.finish()?;
                let msg = result_signing_bytes(&self.params.session_id, &outcome.digest);
                if !self.peer.verify(&msg, &signature) {
                    return Err(PsiError::BadSignature);
                }
                let own_sig = self.own.sign(&msg);
                self.state = RState::Done(outcome, signature);
                Response::Finished { signature: own_sig }
            }
            (_, req) => {
                return Err(PsiError::UnexpectedMessage {
                    expected: "the next request of the session".into(),
                    found: match req {
                        Request::Hello(_) => "Hello",
                        Request::Points(_) => "Points",
                        Request::EndOfPoints => "EndOfPoints",
                        Request::Pull(_) => "Pull",
                        Request::Finish { .. } => "Finish",
                    }
                    .into(),
                })
            }
        };
        Ok(self.seal(&resp))
    }

    /// Whether the session completed.
    pub fn is_done(&self) -> bool {
        matches!(self.state, RState::Done(..))
    }

    /// The outcome and the initiator's signature over its digest, once done.
    pub fn outcome(&self) -> Option<(&Outcome, &Signature)> {
        match &self.state {
            RState::Done(o, s) => Some((o, s)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::psi::{Mode, Revealed};

    fn set(r: std::ops::Range<u32>) -> InputSet {
        InputSet::new(r.map(|i| format!("c{i}").into_bytes()).collect())
    }

    fn run(mode: Mode) -> (Outcome, Outcome) {
        let (a, b) = (Keypair::from_seed(&[1; 32]), Keypair::from_seed(&[2; 32]));
        let (pa, pb) = (a.public_key(), b.public_key());
        let params = SessionParams {
            session_id: [4; 32],
            mode,
            initiator_size: 30,
            responder_size: 25,
            batch_size: 7,
        };
        let mut init = InitiatorSession::new(params, Limits::default(), set(0..30), a, pb).unwrap();
        let offer = Offer {
            own: b,
            peer: pa,
            set: set(20..45),
            mode,
            limits: Limits::default(),
        };
        let hello = init.next_request().unwrap().unwrap();
        let (mut resp, r) = ResponderSession::accept(&hello, offer).unwrap();
        init.on_response(&r).unwrap();
        let mut guard = 0;
        while let Some(req) = init.next_request().unwrap() {
            let r = resp.handle(&req).unwrap();
            init.on_response(&r).unwrap();
            guard += 1;
            assert!(guard < 100);
        }
        assert!(resp.is_done());
        let ro = resp.outcome().unwrap().0.clone();
        (init.into_outcome().unwrap().0, ro)
    }

    #[test]
    fn request_response_sessions_complete_in_every_mode() {
        let expected: Vec<Vec<u8>> = {
            let mut v: Vec<Vec<u8>> = (20..30).map(|i| format!("c{i}").into_bytes()).collect();
            v.sort();
            v
        };
        let (a, b) = run(Mode::OneSide);
        assert_eq!(a.revealed, Revealed::Intersection(expected.clone()));
        assert_eq!(b.revealed, Revealed::Nothing);
        assert_eq!(a.digest, b.digest);
        let (a, b) = run(Mode::BothSides);
        assert_eq!(b.revealed, Revealed::Intersection(expected));
        assert_eq!(a.digest, b.digest);
        let (a, b) = run(Mode::Cardinality);
        assert_eq!(
            (a.revealed, b.revealed),
            (Revealed::Cardinality(10), Revealed::Cardinality(10))
        );
    }

    #[test]
    fn responder_refuses_unknown_initiators_and_other_modes() {
        let (a, b) = (Keypair::from_seed(&[1; 32]), Keypair::from_seed(&[2; 32]));
        let pb = b.public_key();
        let params = SessionParams {
            session_id: [4; 32],
            mode: Mode::OneSide,
            initiator_size: 3,
            responder_size: 3,
            batch_size: 7,
        };
        let mut init = InitiatorSession::new(params, Limits::default(), set(0..3), a, pb).unwrap();
        let hello = init.next_request().unwrap().unwrap();
        // The offer pins another initiator key.
        let offer = |peer, mode| Offer {
            own: Keypair::from_seed(&[2; 32]),
            peer,
            set: set(0..3),
            mode,
            limits: Limits::default(),
        };
        let stranger = Keypair::from_seed(&[9; 32]).public_key();
        assert_eq!(
            ResponderSession::accept(&hello, offer(stranger, Mode::OneSide)).unwrap_err(),
            PsiError::BadSignature
        );
        let pa = Keypair::from_seed(&[1; 32]).public_key();
        assert!(matches!(
            ResponderSession::accept(&hello, offer(pa, Mode::BothSides)),
            Err(PsiError::InvalidParams(_))
        ));
        let (mut s, _) = ResponderSession::accept(&hello, offer(pa, Mode::OneSide)).unwrap();
        // Replaying the Hello inside the session is refused (sequence).
        assert!(matches!(
            s.handle(&hello),
            Err(PsiError::BadSequence { .. })
        ));
    }
}
