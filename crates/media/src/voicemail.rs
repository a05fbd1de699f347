//! A voicemail, sans I/O: the greeting plays to the caller, then what the
//! caller says is recorded until they hang up or the limit is reached.
//!
//! Until the SIP trunk exists the caller is the stand-in: it listens to the
//! greeting (its ear counts the frames) and, after the tone, speaks the
//! shipped prospect recording in real time.

use super::audio::{ClipPlayer, LevelMeter, Recorder};

/// The longest voicemail (the call rules end the call then too).
pub const MAX_VOICEMAIL_MS: u64 = 120_000;

#[derive(Debug)]
pub struct Voicemail {
    greeting: ClipPlayer,
    /// What the caller heard of the greeting.
    greeting_heard: LevelMeter,
    caller_voice: ClipPlayer,
    recording: Recorder,
}

impl Voicemail {
    pub fn new(greeting: ClipPlayer, caller_voice: ClipPlayer) -> Self {
        Self {
            greeting,
            greeting_heard: LevelMeter::default(),
            caller_voice,
            recording: Recorder::with_limit_ms(MAX_VOICEMAIL_MS),
        }
    }

    /// One 20 ms step: greeting first, then the recording.
    pub fn tick(&mut self) {
        if let Some(frame) = self.greeting.next_frame() {
            self.greeting_heard.push(&frame);
            return;
        }
        if let Some(frame) = self.caller_voice.next_frame() {
            self.recording.push(&frame);
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
}
