//! A voicemail, sans I/O: the greeting plays to the caller, then what the
//! caller says is recorded until they hang up or the limit is reached.
//!
//! A real caller (the trunk) hears the greeting as the frames [`Voicemail::tick`]
//! returns, and what they say arrives through [`Voicemail::hear`]. The
//! stand-in caller of the webhook path instead speaks the shipped prospect
//! recording, in real time, once the greeting is over.

use super::audio::{ClipPlayer, FRAME_SAMPLES, LevelMeter, Recorder};

/// The longest voicemail (the call rules end the call then too).
pub const MAX_VOICEMAIL_MS: u64 = 120_000;

#[derive(Debug)]
pub struct Voicemail {
    greeting: ClipPlayer,
    /// What the caller heard of the greeting.
    greeting_heard: LevelMeter,
    /// The stand-in's voice; `None` for a real caller, who is heard instead.
    caller_voice: Option<ClipPlayer>,
    recording: Recorder,
}

impl Voicemail {
    /// A voicemail for the stand-in caller, which speaks `caller_voice`.
    pub fn new(greeting: ClipPlayer, caller_voice: ClipPlayer) -> Self {
        Self {
            caller_voice: Some(caller_voice),
            ..Self::for_caller(greeting)
        }
    }

    /// A voicemail for a real caller, whose audio comes through [`Self::hear`].
    pub fn for_caller(greeting: ClipPlayer) -> Self {
        Self {
            greeting,
            greeting_heard: LevelMeter::default(),
            caller_voice: None,
            recording: Recorder::with_limit_ms(MAX_VOICEMAIL_MS),
        }
    }

    /// One 20 ms step: the greeting's next frame, to play to the caller,
    /// until it is over; then the stand-in (if any) speaks and is recorded.
    pub fn tick(&mut self) -> Option<[i16; FRAME_SAMPLES]> {
        if let Some(frame) = self.greeting.next_frame() {
            self.greeting_heard.push(&frame);
            return Some(frame);
        }
        if let Some(frame) = self.caller_voice.as_mut().and_then(ClipPlayer::next_frame) {
            self.recording.push(&frame);
        }
        None
    }

    /// What the caller said; recorded once the greeting is over (talking
    /// over the greeting is not part of the message).
    pub fn hear(&mut self, samples: &[i16]) {
        if self.greeting.finished() {
            self.recording.push(samples);
        }
    }

    pub fn greeting_frames_played(&self) -> u64 {
        self.greeting_heard.frames()
    }

    pub fn recorded_ms(&self) -> u64 {
        self.recording.duration_ms()
    }

    pub fn into_recording(self) -> Recorder {
        self.recording
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::{Clip, FRAME_SAMPLES};
    use std::sync::Arc;

    #[test]
    fn the_greeting_plays_first_then_the_caller_is_recorded() {
        let greeting = Arc::new(Clip::from_samples(vec![1000; FRAME_SAMPLES * 3]));
        let voice = Arc::new(Clip::from_samples(vec![2000; FRAME_SAMPLES * 2]));
        let mut voicemail = Voicemail::new(ClipPlayer::once(greeting), ClipPlayer::looping(voice));
        for _ in 0..3 {
            voicemail.tick();
        }
        assert_eq!(voicemail.greeting_frames_played(), 3);
        for _ in 0..5 {
            voicemail.tick();
        }
        let recording = voicemail.into_recording();
        assert_eq!(recording.duration_ms(), 100);
        assert!(recording.samples().iter().all(|&s| s == 2000));
    }

    #[test]
    fn a_real_caller_hears_the_greeting_and_is_recorded_after_it() {
        let greeting = Arc::new(Clip::from_samples(vec![1000; FRAME_SAMPLES * 2]));
        let mut voicemail = Voicemail::for_caller(ClipPlayer::once(greeting));
        assert_eq!(voicemail.tick().map(|f| f[0]), Some(1000));
        voicemail.hear(&[7; FRAME_SAMPLES]);
        assert_eq!(voicemail.tick().map(|f| f[0]), Some(1000));
        assert_eq!(voicemail.tick(), None, "the greeting is over");
        voicemail.hear(&[9; FRAME_SAMPLES]);
        voicemail.hear(&[9; FRAME_SAMPLES]);
        let recording = voicemail.into_recording();
        assert_eq!(
            recording.duration_ms(),
            40,
            "only what came after the greeting"
        );
        assert!(recording.samples().iter().all(|&s| s == 9));
    }
}
