//! The worker and the offscreen document: the ringtone, and a call's audio
//! (its WebRTC answer, mute, devices), and how that audio is going, which
//! the offscreen document also tells open pages ([`super::PageNotice::Audio`]).

use protocol::CallId;
use serde::{Deserialize, Serialize};

/// Worker → offscreen document. The ringtone commands and `Status` are
/// answered with an [`OffscreenStatus`], the audio ones with an [`AudioReply`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OffscreenCommand {
    Ring,
    Silence,
    /// The end-to-end tests use it to check.
    Status,
    /// The rep accepted: check the server's SDP offer, open the microphone
    /// and answer it.
    Answer {
        call_id: CallId,
        offer: String,
    },
    Mute {
        call_id: CallId,
        muted: bool,
    },
    /// Call waiting: neither send the microphone nor play the call.
    Hold {
        call_id: CallId,
        held: bool,
    },
    /// The call ended (or failed) here: close its connection, free the microphone.
    EndAudio {
        call_id: CallId,
    },
    /// Signed out: end every call's audio.
    EndAllAudio,
}

/// The offscreen document's reply to the audio commands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AudioReply {
    /// The browser's SDP answer, to send with Accept.
    Answer {
        sdp: String,
    },
    Done,
    /// A sentence for the rep.
    Failed {
        message: String,
    },
}

/// The offscreen document's reply to [`OffscreenCommand::Status`] and the
/// ringtone commands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OffscreenStatus {
    pub ringing: bool,
    /// When the ringtone last went quiet (ms since the epoch): the end-to-end
    /// tests check it stops within 100 ms of Accept.
    pub silenced_at: Option<f64>,
    pub calls: Vec<CallAudio>,
    /// The output the ringtone plays on while it rings (`""` is the default
    /// device), and why it is not the chosen one if it is not.
    pub ringtone_device: Option<String>,
    pub ringtone_note: Option<String>,
    /// The devices each call's audio uses. Not in [`CallAudio`]: the panel
    /// reads that, and has no room for what it does not show.
    #[serde(default)]
    pub devices: Vec<CallDevices>,
}

/// The devices one call's audio actually uses, as Chrome reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallDevices {
    pub call_id: CallId,
    /// The microphone track's `getSettings().deviceId` (`"default"` for
    /// Chrome's default).
    pub microphone: String,
    /// The speaker element's `sinkId` (`""` for the default device).
    pub speaker: String,
}

/// How one call's audio stands in this browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallAudio {
    pub call_id: CallId,
    pub state: AudioState,
    pub muted: bool,
    /// The microphone as sent (silence when muted), as a meter shows it:
    /// 0 at −60 dBFS or below, 1 at full scale.
    pub mic_level: f64,
    /// From `getStats`, about once a second; `None` until the first report.
    pub quality: Option<CallQuality>,
    /// A chosen device was missing and the default is used instead: a
    /// sentence for the panel.
    pub device_note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AudioState {
    /// Answered; ICE and DTLS still under way.
    Connecting,
    Connected,
    /// The connection dropped or failed.
    Lost,
    Ended,
}

impl AudioState {
    /// The serialised name, for `data-` attributes and CSS.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Connected => "connected",
            Self::Lost => "lost",
            Self::Ended => "ended",
        }
    }
}

/// The call's quality as the browser measures it.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct CallQuality {
    /// Of the server's packets, the share lost, 0–100.
    pub loss_percent: f64,
    pub jitter_ms: f64,
    /// Round trip to the server; `None` until measured.
    pub rtt_ms: Option<f64>,
    pub packets_received: f64,
    pub bytes_received: f64,
    pub bytes_sent: f64,
    /// How long no audio has arrived from the server (the other side), in
    /// ms: one-way audio shows here first.
    #[serde(default)]
    pub silent_ms: f64,
}
