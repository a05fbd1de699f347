//! Linear audio at the telephone rate: clips loaded from WAV, a player that
//! hands them out 20 ms at a time, a recorder, and a level meter.

use std::io::Cursor;
use std::path::Path;

/// The telephone sample rate (PCMU).
pub const SAMPLE_RATE: u32 = 8_000;
/// Samples in one 20 ms packet.
pub const FRAME_SAMPLES: usize = 160;
/// The longest greeting a rep can upload.
pub const MAX_GREETING_SECS: u32 = 60;
/// The packet interval.
pub const FRAME_MS: u64 = 20;

/// Why a WAV file was not accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClipError {
    #[error("not a WAV file: {0}")]
    NotWav(#[from] hound::Error),
    #[error(
        "the WAV must be 8 kHz, 16-bit, mono; this one is {rate} Hz, {bits}-bit, {channels} channel(s). Convert it with: sox in.wav -r 8000 -c 1 -b 16 out.wav"
    )]
    WrongFormat { rate: u32, bits: u16, channels: u16 },
    #[error("the recording is empty")]
    Empty,
    #[error("the recording is {secs} s long; the most is {max_secs} s")]
    TooLong { secs: u32, max_secs: u32 },
}

/// A decoded recording: 8 kHz, 16-bit, mono.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clip {
    samples: Vec<i16>,
}

impl Clip {
    /// Reads a WAV that is already 8 kHz, 16-bit mono and at most `max_secs` long.
    pub fn from_wav(bytes: &[u8], max_secs: u32) -> Result<Self, ClipError> {
        let reader = hound::WavReader::new(Cursor::new(bytes))?;
        let spec = reader.spec();
        if spec.sample_rate != SAMPLE_RATE
            || spec.bits_per_sample != 16
            || spec.channels != 1
            || spec.sample_format != hound::SampleFormat::Int
        {
            return Err(ClipError::WrongFormat {
                rate: spec.sample_rate,
                bits: spec.bits_per_sample,
                channels: spec.channels,
            });
        }
        let max_samples = u64::from(max_secs) * u64::from(SAMPLE_RATE);
        if u64::from(reader.duration()) > max_samples {
            return Err(ClipError::TooLong {
                secs: reader.duration() / SAMPLE_RATE,
                max_secs,
            });
        }
        let samples = reader
            .into_samples::<i16>()
            .collect::<Result<Vec<_>, _>>()?;
        if samples.is_empty() {
            return Err(ClipError::Empty);
        }
        Ok(Self { samples })
    }

    pub fn from_samples(samples: Vec<i16>) -> Self {
        Self { samples }
    }

    pub fn samples(&self) -> &[i16] {
        &self.samples
    }

    pub fn duration_ms(&self) -> u64 {
        self.samples.len() as u64 * 1000 / u64::from(SAMPLE_RATE)
    }
}

/// Plays a clip 20 ms at a time, once or in a loop.
#[derive(Debug, Clone)]
pub struct ClipPlayer {
    clip: std::sync::Arc<Clip>,
    position: usize,
    looping: bool,
}

impl ClipPlayer {
    pub fn once(clip: std::sync::Arc<Clip>) -> Self {
        Self {
            clip,
            position: 0,
            looping: false,
        }
    }

    pub fn looping(clip: std::sync::Arc<Clip>) -> Self {
        Self {
            looping: true,
            ..Self::once(clip)
        }
    }

    /// The next 20 ms; silence-padded at the end, `None` once a single play is over.
    pub fn next_frame(&mut self) -> Option<[i16; FRAME_SAMPLES]> {
        let samples = self.clip.samples();
        if self.position >= samples.len() {
            if !self.looping || samples.is_empty() {
                return None;
            }
            self.position = 0;
        }
        let mut frame = [0i16; FRAME_SAMPLES];
        let end = (self.position + FRAME_SAMPLES).min(samples.len());
        frame[..end - self.position].copy_from_slice(&samples[self.position..end]);
        self.position = end;
        Some(frame)
    }

    pub fn finished(&self) -> bool {
        !self.looping && self.position >= self.clip.samples().len()
    }
}

/// Collects samples up to a limit and writes them as a WAV file.
#[derive(Debug)]
pub struct Recorder {
    samples: Vec<i16>,
    max_samples: usize,
}

impl Recorder {
    pub fn with_limit_ms(limit_ms: u64) -> Self {
        let max_samples = usize::try_from(limit_ms * u64::from(SAMPLE_RATE) / 1000).unwrap_or(0);
        Self {
            samples: Vec::new(),
            max_samples,
        }
    }

    /// Appends what fits under the limit.
    pub fn push(&mut self, samples: &[i16]) {
        let room = self.max_samples.saturating_sub(self.samples.len());
        self.samples
            .extend_from_slice(&samples[..samples.len().min(room)]);
    }

    pub fn duration_ms(&self) -> u64 {
        self.samples.len() as u64 * 1000 / u64::from(SAMPLE_RATE)
    }

    pub fn samples(&self) -> &[i16] {
        &self.samples
    }

    /// Writes the recording (8 kHz, 16-bit mono WAV) to a temporary name and
    /// renames it into place, so a reader never sees half a file.
    pub fn write_wav(&self, path: &Path) -> Result<u64, hound::Error> {
        let partial = path.with_extension("wav.partial");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: SAMPLE_RATE,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(&partial, spec)?;
        for &sample in &self.samples {
            writer.write_sample(sample)?;
        }
        writer.finalize()?;
        std::fs::rename(&partial, path)?;
        Ok(std::fs::metadata(path)?.len())
    }
}

/// Loudness in dBFS of a block of samples; -100 stands for digital silence.
pub fn level_dbfs(samples: &[i16]) -> f64 {
    dbfs(mean_square(samples))
}

fn mean_square(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / samples.len() as f64
}

/// dBFS of a mean square; under one unit of RMS is digital silence.
fn dbfs(mean_square: f64) -> f64 {
    let rms = mean_square.sqrt();
    if rms < 1.0 {
        SILENCE_DBFS
    } else {
        20.0 * (rms / f64::from(i16::MAX)).log10()
    }
}

/// What [`level_dbfs`] reports for nothing at all.
pub const SILENCE_DBFS: f64 = -100.0;

/// Loudness of the most recent half second, frame by frame.
#[derive(Debug, Clone)]
pub struct LevelMeter {
    /// Mean square of each recent frame, oldest overwritten first.
    recent: [f64; Self::FRAMES],
    next: usize,
    frames: u64,
    loud_frames: u64,
}

impl Default for LevelMeter {
    fn default() -> Self {
        Self {
            recent: [0.0; Self::FRAMES],
            next: 0,
            frames: 0,
            loud_frames: 0,
        }
    }
}

impl LevelMeter {
    /// 25 frames of 20 ms.
    const FRAMES: usize = 25;
    /// Quieter than this is silence: far under speech (about -20 dBFS) and
    /// over the faint hiss a muted track or comfort noise leaves.
    pub const SPEECH_DBFS: f64 = -50.0;

    pub fn push(&mut self, frame: &[i16]) {
        let mean_square = mean_square(frame);
        self.recent[self.next] = mean_square;
        self.next = (self.next + 1) % Self::FRAMES;
        self.frames += 1;
        if dbfs(mean_square) > Self::SPEECH_DBFS {
            self.loud_frames += 1;
        }
    }

    /// dBFS over the last half second (or what there is of it).
    pub fn recent_dbfs(&self) -> f64 {
        let filled = usize::try_from(self.frames)
            .unwrap_or(usize::MAX)
            .min(Self::FRAMES);
        if filled == 0 {
            return SILENCE_DBFS;
        }
        dbfs(self.recent.iter().take(filled).sum::<f64>() / filled as f64)
    }

    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Frames louder than [`Self::SPEECH_DBFS`] since the start.
    pub fn loud_frames(&self) -> u64 {
        self.loud_frames
    }
}

/// The clips Ringback ships: the stand-in prospect's voice and the default
/// voicemail greeting (espeak-ng, resampled with sox; see `assets/README.md`).
pub mod shipped {
    pub const PROSPECT_WAV: &[u8] = include_bytes!("../assets/prospect.wav");
    pub const GREETING_WAV: &[u8] = include_bytes!("../assets/greeting.wav");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn tone(samples: usize, amplitude: f64) -> Vec<i16> {
        (0..samples)
            .map(|i| (amplitude * (i as f64 * 0.3).sin()) as i16)
            .collect()
    }

    #[test]
    fn shipped_clips_load_and_are_speech() {
        for wav in [shipped::PROSPECT_WAV, shipped::GREETING_WAV] {
            let clip = Clip::from_wav(wav, 60).expect("a shipped clip loads");
            assert!(clip.duration_ms() > 2_000);
            assert!(level_dbfs(clip.samples()) > LevelMeter::SPEECH_DBFS);
        }
    }

    #[test]
    fn wrong_formats_are_refused_with_the_fix() {
        let mut bytes = Vec::new();
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 44_100,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        {
            let mut w = hound::WavWriter::new(Cursor::new(&mut bytes), spec).expect("writer");
            w.write_sample(0i16).expect("sample");
            w.write_sample(0i16).expect("sample");
            w.finalize().expect("finalize");
        }
        let error = Clip::from_wav(&bytes, 60).expect_err("44.1 kHz stereo is refused");
        assert!(error.to_string().contains("sox"), "{error}");
        assert!(matches!(
            Clip::from_wav(b"RIFF nonsense", 60),
            Err(ClipError::NotWav(_))
        ));
        let long = Clip::from_wav(shipped::PROSPECT_WAV, 1).expect_err("too long");
        assert!(matches!(long, ClipError::TooLong { max_secs: 1, .. }));
    }

    #[test]
    fn a_player_pads_the_last_frame_and_loops_when_asked() {
        let clip = Arc::new(Clip::from_samples(tone(200, 1000.0)));
        let mut once = ClipPlayer::once(clip.clone());
        let first = once.next_frame().expect("first frame");
        assert_eq!(first[..], clip.samples()[..160]);
        let second = once.next_frame().expect("padded frame");
        assert_eq!(second[..40], clip.samples()[160..]);
        assert!(second[40..].iter().all(|&s| s == 0));
        assert!(once.next_frame().is_none());
        assert!(once.finished());

        let mut looping = ClipPlayer::looping(clip.clone());
        for _ in 0..10 {
            assert!(looping.next_frame().is_some());
        }
        assert!(!looping.finished());
    }

    #[test]
    fn a_recorder_stops_at_its_limit_and_writes_a_readable_wav() {
        let mut recorder = Recorder::with_limit_ms(100);
        for _ in 0..10 {
            recorder.push(&tone(160, 8000.0));
        }
        assert_eq!(recorder.duration_ms(), 100);
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("r.wav");
        let bytes = recorder.write_wav(&path).expect("written");
        let reread = Clip::from_wav(&std::fs::read(&path).expect("read"), 60).expect("valid");
        assert_eq!(reread.samples(), recorder.samples());
        assert_eq!(bytes, 44 + 800 * 2);
        assert!(!path.with_extension("wav.partial").exists());
    }

    #[test]
    fn the_meter_tells_speech_from_silence() {
        let mut meter = LevelMeter::default();
        assert_eq!(meter.recent_dbfs(), SILENCE_DBFS);
        for _ in 0..30 {
            meter.push(&tone(160, 8000.0));
        }
        assert!(meter.recent_dbfs() > -20.0);
        for _ in 0..25 {
            meter.push(&[0; 160]);
        }
        assert_eq!(meter.recent_dbfs(), SILENCE_DBFS);
        assert_eq!(meter.loud_frames(), 30);
        assert_eq!(meter.frames(), 55);
    }
}
