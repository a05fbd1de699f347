//! Wire types shared by the Ringback server and the Chrome extension.
//!
//! Everything here is plain data plus the few pure rules both sides must agree on
//! (phone number normalisation, protocol version). There is no I/O, so the crate
//! compiles for `wasm32-unknown-unknown` as well as for the server.
//!
//! - [`signal`]: the JSON messages on the signalling WebSocket, as tagged enums.
//! - [`api`]: REST request and response bodies.
//! - [`model`]: the domain vocabulary (people, calls, logs, settings).
//! - [`phone`]: E.164 normalisation, used for routing and for display.
//! - [`availability`]: Available or do not disturb, and until when.

pub mod api;
pub mod availability;
pub mod display;
pub mod model;
pub mod phone;
pub mod signal;

pub use availability::{Availability, AvailabilityMode, DndLength};
pub use display::duration_text;
pub use model::*;
pub use phone::{PhoneError, PhoneNumber};

/// Version of the signalling protocol. Bumped on any incompatible change.
pub const PROTOCOL_VERSION: u32 = 1;

/// The WebSocket subprotocol a client must offer, and that the server selects.
pub const SUBPROTOCOL: &str = "ringback.v1";

/// Prefix of the second subprotocol, which carries the single-use ticket
/// (`ticket.<ticket>`): browsers cannot set headers on a WebSocket handshake.
pub const TICKET_SUBPROTOCOL_PREFIX: &str = "ticket.";

/// Prefix of an optional third subprotocol that names the client's device
/// (`device.<device_id>`) and stands for [`signal::ClientMessage::Hello`]: the
/// server answers Welcome as soon as the socket opens. A worker Chrome has just
/// started is busy loading its wasm when the socket opens, and waiting for it to
/// say Hello would put that wait, and a round trip, in front of the ring.
pub const DEVICE_SUBPROTOCOL_PREFIX: &str = "device.";

/// How often a client sends a keepalive. Chrome stops an MV3 worker whose socket
/// is silent for 30 s, so this must stay below that.
pub const KEEPALIVE_INTERVAL_SECS: u32 = 20;

/// Largest signalling frame the server accepts, in bytes.
pub const MAX_SIGNAL_FRAME_BYTES: usize = 16 * 1024;
