//! The calls' RTP legs through the trunk: the caller's (or the dialled
//! party's) and the forwarding phone's port pairs, the tasks that read them,
//! and where the audio of each datagram goes.

use super::{Answering, Engine, send};
use crate::MediaError;
use crate::audio::FRAME_SAMPLES;
use crate::g711;
use crate::trunk::{TrunkInput, TrunkLeg, TrunkPeer};
use protocol::CallId;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// Which RTP leg of a call a datagram arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Caller,
    Phone,
}

/// An RTP leg through the trunk and the port pair it holds.
pub(super) struct RtpPort {
    pub(super) leg: TrunkLeg,
    pub(super) socket: Arc<UdpSocket>,
    pub(super) port: u16,
    /// The tasks reading the RTP and RTCP sockets; stopped with the call.
    readers: [tokio::task::JoinHandle<()>; 2],
}

impl Drop for RtpPort {
    fn drop(&mut self) {
        for reader in &self.readers {
            reader.abort();
        }
    }
}

/// A datagram that arrived on a call's RTP port.
pub(super) struct RtpDatagram {
    call: CallId,
    side: Side,
    source: SocketAddr,
    bytes: Vec<u8>,
}

/// RTP datagrams queued from the port readers to the engine; past this a
/// flood is dropped at the reader.
pub(super) const RTP_QUEUE: usize = 4096;

impl Engine {
    pub(super) fn trunk_of(&mut self, call: CallId) -> Option<&mut RtpPort> {
        self.sessions.get_mut(&call)?.trunk.as_mut()
    }

    /// Opens an RTP/RTCP port pair for a caller on the trunk.
    pub(super) fn trunk_caller(
        &mut self,
        call: CallId,
        peer: TrunkPeer,
    ) -> Result<SocketAddr, MediaError> {
        if self.trunk_of(call).is_some() {
            return Err(MediaError::Setup("the call already has a trunk leg".into()));
        }
        let (port, local) = self.open_rtp(call, Side::Caller, peer)?;
        self.session(call).trunk = Some(port);
        Ok(local)
    }

    /// Opens the dialled party's port pair as the call's caller side (the
    /// browser leg relays to it as to an inbound caller); nothing is sent to
    /// it before it answers with its address.
    pub(super) fn open_callee(&mut self, call: CallId) -> Result<SocketAddr, MediaError> {
        if self.trunk_of(call).is_some() {
            return Err(MediaError::Setup("the call already has a trunk leg".into()));
        }
        let (port, local) = self.open_rtp(call, Side::Caller, unknown_peer())?;
        self.session(call).trunk = Some(port);
        Ok(local)
    }

    /// Opens the forwarding phone's port pair; its peer is known once it answers.
    pub(super) fn open_phone(&mut self, call: CallId) -> Result<SocketAddr, MediaError> {
        if self.sessions.get(&call).is_some_and(|s| s.phone.is_some()) {
            return Err(MediaError::Setup("the call already dials a phone".into()));
        }
        // Nothing is sent to the phone before it answers with its address.
        let (port, local) = self.open_rtp(call, Side::Phone, unknown_peer())?;
        self.session(call).phone = Some(port);
        Ok(local)
    }

    fn open_rtp(
        &mut self,
        call: CallId,
        side: Side,
        peer: TrunkPeer,
    ) -> Result<(RtpPort, SocketAddr), MediaError> {
        let (port, rtp, rtcp) = self.ports.bind_pair(self.local.ip())?;
        let opened = (|| {
            let local = rtp.local_addr()?;
            let rtp = Arc::new(UdpSocket::from_std(rtp)?);
            let rtcp = UdpSocket::from_std(rtcp)?;
            std::io::Result::Ok((local, rtp, rtcp))
        })();
        let (local, rtp, rtcp) = match opened {
            Ok(sockets) => sockets,
            Err(error) => {
                self.ports.release(port);
                return Err(error.into());
            }
        };
        let queue = self.rtp_tx.clone();
        let reading = rtp.clone();
        let rtp_reader = tokio::spawn(async move {
            let mut buf = vec![0u8; 2048];
            loop {
                let Ok((len, source)) = reading.recv_from(&mut buf).await else {
                    continue;
                };
                let datagram = RtpDatagram {
                    call,
                    side,
                    source,
                    bytes: buf[..len].to_vec(),
                };
                // A full queue means a flood: drop rather than fall behind.
                if let Err(mpsc::error::TrySendError::Closed(_)) = queue.try_send(datagram) {
                    return;
                }
            }
        });
        // RTCP is accepted and ignored (reading keeps the kernel's queue empty).
        let rtcp_reader = tokio::spawn(async move {
            let mut buf = vec![0u8; 2048];
            while rtcp.recv_from(&mut buf).await.is_ok() {}
        });
        self.trunk_seed = self.trunk_seed.wrapping_add(1);
        let seed = self.trunk_seed ^ call.0.unsigned_abs();
        tracing::debug!(%call, %local, ?side, "trunk RTP leg open");
        Ok((
            RtpPort {
                leg: TrunkLeg::new(peer, seed),
                socket: rtp,
                port,
                readers: [rtp_reader, rtcp_reader],
            },
            local,
        ))
    }

    /// A datagram on a call's RTP port: the caller's audio, bridged to
    /// whichever leg answers (dropped while nobody does); the phone's, to the
    /// caller once the phone answers.
    pub(super) fn rtp(&mut self, datagram: RtpDatagram) {
        let now = Instant::now();
        let call = datagram.call;
        let Some(session) = self.sessions.get_mut(&call) else {
            return;
        };
        if datagram.side == Side::Phone {
            let (Some(phone), Some(trunk)) = (session.phone.as_mut(), session.trunk.as_mut())
            else {
                return;
            };
            let answered = matches!(session.answering, Some(Answering::Phone));
            if let TrunkInput::Audio(payload) =
                phone.leg.receive(now, datagram.source, &datagram.bytes)
                && answered
                && let Some((to, packet)) = trunk.leg.send(payload)
            {
                send(&trunk.socket, &packet, to);
            }
            return;
        }
        let Some(trunk) = session.trunk.as_mut() else {
            return;
        };
        let TrunkInput::Audio(payload) = trunk.leg.receive(now, datagram.source, &datagram.bytes)
        else {
            return;
        };
        match session.answering.as_mut() {
            Some(Answering::Browser(_)) if session.held => {}
            Some(Answering::Browser(_)) => {
                let payload = payload.to_vec();
                self.with_leg(call, |leg, _, _| leg.relay_to_browser(now, payload));
                self.drive(call);
            }
            Some(Answering::Voicemail(voicemail)) => {
                let mut samples = Vec::with_capacity(FRAME_SAMPLES);
                g711::decode_frame(payload, &mut samples);
                voicemail.hear(&samples);
            }
            Some(Answering::Phone) => {
                if let Some(phone) = session.phone.as_mut()
                    && let Some((to, packet)) = phone.leg.send(payload)
                {
                    send(&phone.socket, &packet, to);
                }
            }
            None => {}
        }
    }
}

/// The peer of a leg dialled that has not answered: an unspecified address,
/// which [`TrunkLeg::send`](crate::trunk::TrunkLeg::send) never sends to.
fn unknown_peer() -> TrunkPeer {
    TrunkPeer {
        rtp: SocketAddr::from(([0, 0, 0, 0], 9)),
        telephone_event: None,
    }
}
