//! The panel's keypad: keys pressed during a call connected here go to
//! the server, which sends them to the far end as telephone-events.

use super::{Effect, NOT_CONNECTED_HERE, NOT_CONNECTED_TO_SERVER};
use crate::model::{CallPhase, Live, MAX_KEYED};
use protocol::CallId;
use protocol::signal::{ClientMessage, MAX_DIGITS};

/// Keypad messages' ids name the call: `keys-<call>-<n>`.
const PREFIX: &str = "keys-";

/// A key the keypad has (the server checks again).
fn is_key(key: char) -> bool {
    key.is_ascii_digit() || matches!(key, '*' | '#' | 'A'..='D')
}

pub(super) fn press(
    live: &mut Live,
    call_id: CallId,
    digits: String,
    connected: bool,
    fx: &mut Vec<Effect>,
) {
    let here = live
        .entry(call_id)
        .is_some_and(|e| e.phase == CallPhase::Connected && e.call.offer.is_some());
    if !here {
        return fx.push(Effect::Refuse(NOT_CONNECTED_HERE.into()));
    }
    if digits.is_empty() || digits.len() > MAX_DIGITS || !digits.chars().all(is_key) {
        return fx.push(Effect::Refuse(
            "The keypad has 0-9, * and # (and A-D).".into(),
        ));
    }
    if !connected {
        return fx.push(Effect::Refuse(NOT_CONNECTED_TO_SERVER.into()));
    }
    let id = live.message_id(&format!("{PREFIX}{}", call_id.0));
    if let Some(entry) = live.entry_mut(call_id) {
        entry.keyed.push_str(&digits);
        let extra = entry.keyed.len().saturating_sub(MAX_KEYED);
        entry.keyed.drain(..extra);
        entry.keypad_note = None;
    }
    fx.push(Effect::Send(ClientMessage::Digits {
        id,
        call_id,
        digits,
    }));
    fx.push(Effect::NotifyPages);
}

/// The server refused keys (`id` is a keypad message's): the panel says
/// why. Returns whether `id` was one.
pub(super) fn refused(
    live: &mut Live,
    id: Option<&str>,
    message: &str,
    fx: &mut Vec<Effect>,
) -> bool {
    let Some(call) = id.and_then(|id| id.strip_prefix(PREFIX)) else {
        return false;
    };
    let call_id = call
        .split('-')
        .next()
        .and_then(|c| c.parse().ok())
        .map(CallId);
    if let Some(entry) = call_id.and_then(|c| live.entry_mut(c)) {
        entry.keypad_note = Some(message.to_owned());
        fx.push(Effect::NotifyPages);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::{Input, update};
    use super::*;
    use crate::CallEntry;
    use protocol::signal::{IncomingCall, SignalErrorCode};
    use protocol::{PersonSnapshot, UnixMillis};

    const NOW: UnixMillis = 1_700_000_000_000;

    fn live_with(phase: CallPhase, offer: bool) -> Live {
        let call = IncomingCall {
            call_id: CallId(7),
            person: PersonSnapshot {
                id: None,
                name: None,
                title: None,
                account: None,
                crm_url: None,
                number: "+14155550177".into(),
            },
            to: "+14155550100".into(),
            started_at: NOW,
            ring_deadline: NOW + 20_000,
            offer: offer.then(|| "v=0".into()),
            also: Vec::new(),
        };
        let mut entry = CallEntry::dialled(call);
        entry.phase = phase;
        Live {
            calls: vec![entry],
            ..Live::default()
        }
    }

    fn keys(live: &mut Live, digits: &str, connected: bool) -> Vec<Effect> {
        let input = Input::Digits {
            call_id: CallId(7),
            digits: digits.into(),
            connected,
        };
        update(live, input, NOW)
    }

    #[test]
    fn keys_go_to_the_server_and_are_kept_for_the_panel() {
        let mut live = live_with(CallPhase::Connected, true);
        let effects = keys(&mut live, "1", true);
        assert!(matches!(
            effects.as_slice(),
            [Effect::Send(ClientMessage::Digits { call_id: CallId(7), digits, .. }), Effect::NotifyPages]
                if digits == "1"
        ));
        keys(&mut live, "#", true);
        let entry = live.entry(CallId(7)).expect("the call");
        assert_eq!(entry.keyed, "1#");
        // Only the latest keys are kept.
        for _ in 0..10 {
            keys(&mut live, &"9".repeat(MAX_DIGITS), true);
        }
        assert_eq!(
            live.entry(CallId(7)).map(|e| e.keyed.len()),
            Some(MAX_KEYED)
        );
    }

    #[test]
    fn keys_are_refused_off_a_call_connected_here_or_offline() {
        for (phase, offer) in [
            (CallPhase::Accepting, true),
            (CallPhase::Ended, true),
            (CallPhase::Connected, false),
        ] {
            let mut live = live_with(phase, offer);
            let before = live.clone();
            assert_eq!(
                keys(&mut live, "1", true),
                [Effect::Refuse(NOT_CONNECTED_HERE.into())]
            );
            assert_eq!(live, before);
        }
        let mut live = live_with(CallPhase::Connected, true);
        assert!(matches!(
            keys(&mut live, "1x", true).as_slice(),
            [Effect::Refuse(_)]
        ));
        assert!(matches!(
            keys(&mut live, "", true).as_slice(),
            [Effect::Refuse(_)]
        ));
        assert_eq!(
            keys(&mut live, "1", false),
            [Effect::Refuse(NOT_CONNECTED_TO_SERVER.into())]
        );
        assert_eq!(live.entry(CallId(7)).map(|e| e.keyed.as_str()), Some(""));
    }

    #[test]
    fn the_servers_refusal_is_shown_on_the_call() {
        let mut live = live_with(CallPhase::Connected, true);
        let effects = keys(&mut live, "1", true);
        let Some(Effect::Send(ClientMessage::Digits { id, .. })) = effects.first() else {
            panic!("{effects:?}");
        };
        let refusal = Input::Refused {
            id: Some(id.clone()),
            code: SignalErrorCode::DigitsRefused,
            message: "The other side does not accept keypad tones.".into(),
        };
        assert_eq!(update(&mut live, refusal, NOW), [Effect::NotifyPages]);
        let entry = live.entry(CallId(7)).expect("the call");
        assert_eq!(
            entry.keypad_note.as_deref(),
            Some("The other side does not accept keypad tones.")
        );
        assert_eq!(entry.phase, CallPhase::Connected, "the call goes on");
        // The next keys clear it.
        keys(&mut live, "2", true);
        assert_eq!(
            live.entry(CallId(7)).and_then(|e| e.keypad_note.clone()),
            None
        );
    }
}
