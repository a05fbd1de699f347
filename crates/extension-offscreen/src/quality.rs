//! Call quality from `RTCPeerConnection.getStats()`, and the microphone
//! level: the arithmetic, kept apart from the browser so it is tested natively.

use chrome::messages::CallQuality;
use serde::Deserialize;

/// The fields of one `RTCStats` entry that quality is read from; every
/// entry type has some of them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Stat {
    pub id: String,
    /// `inbound-rtp`, `remote-inbound-rtp`, `candidate-pair`, `transport`, …
    #[serde(rename = "type")]
    pub stat_type: String,
    pub packets_received: Option<f64>,
    pub packets_lost: Option<f64>,
    /// Seconds.
    pub jitter: Option<f64>,
    pub bytes_received: Option<f64>,
    pub bytes_sent: Option<f64>,
    /// Seconds (`remote-inbound-rtp`, from the server's RTCP reports).
    pub round_trip_time: Option<f64>,
    /// Seconds (`candidate-pair`, from the ICE checks).
    pub current_round_trip_time: Option<f64>,
    pub selected_candidate_pair_id: Option<String>,
    pub state: Option<String>,
    pub nominated: Option<bool>,
}

/// What the rep sees: loss and jitter of the audio received, and the round
/// trip — from the server's RTCP receiver reports when it sends them, else
/// from the ICE checks on the connection in use.
pub fn quality(stats: &[Stat]) -> CallQuality {
    let of = |t: &'static str| stats.iter().filter(move |s| s.stat_type == t);
    let sum =
        |t: &'static str, field: fn(&Stat) -> Option<f64>| of(t).filter_map(field).sum::<f64>();

    let received = sum("inbound-rtp", |s| s.packets_received);
    // RTP counts duplicates as negative loss.
    let lost = sum("inbound-rtp", |s| s.packets_lost).max(0.0);
    let loss_percent = if received + lost > 0.0 {
        100.0 * lost / (received + lost)
    } else {
        0.0
    };
    let jitter_ms = of("inbound-rtp")
        .filter_map(|s| s.jitter)
        .fold(0.0, f64::max)
        * 1000.0;

    let selected_id = of("transport").find_map(|s| s.selected_candidate_pair_id.as_deref());
    let selected_pair = of("candidate-pair").find(|s| match selected_id {
        Some(id) => s.id == id,
        None => s.nominated == Some(true) && s.state.as_deref() == Some("succeeded"),
    });
    let rtt_ms = of("remote-inbound-rtp")
        .find_map(|s| s.round_trip_time)
        .or_else(|| selected_pair.and_then(|s| s.current_round_trip_time))
        .map(|seconds| seconds * 1000.0);

    CallQuality {
        loss_percent,
        jitter_ms,
        rtt_ms,
        packets_received: received,
        bytes_received: sum("inbound-rtp", |s| s.bytes_received),
        bytes_sent: sum("outbound-rtp", |s| s.bytes_sent),
        silent_ms: 0.0,
    }
}

/// How long the other side has sent nothing: the time since the packets
/// received last grew, from one stats reading to the next (or since the
/// first reading, when none ever came). One-way audio — the other side
/// cannot be heard — is what reps complain of most in browser calls.
#[derive(Debug, Clone, Copy, Default)]
pub struct SilenceWatch {
    packets: f64,
    heard_at: Option<f64>,
}

impl SilenceWatch {
    /// The packets received so far, read at `now` (ms); returns how long
    /// nothing new has arrived, in ms.
    pub fn read(&mut self, packets: f64, now: f64) -> f64 {
        let heard_at = match self.heard_at {
            Some(at) if packets <= self.packets => at,
            _ => now,
        };
        self.packets = packets;
        self.heard_at = Some(heard_at);
        (now - heard_at).max(0.0)
    }
}

/// Root mean square of samples in −1…1: 0 for silence, about 0.7 for a
/// full-scale sine.
pub fn rms(samples: &[f32]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let power: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    (power / samples.len() as f64).sqrt()
}

/// The loudest `chunk` of `samples`, as RMS: a level meter read a few times
/// a second must show a word (or a beep) said between two readings.
pub fn peak_rms(samples: &[f32], chunk: usize) -> f64 {
    samples.chunks(chunk.max(1)).map(rms).fold(0.0, f64::max)
}

/// An RMS (0–1) as a level meter shows it: decibels from −60 dBFS (empty)
/// to 0 dBFS (full), since speech sits far below full scale.
pub fn meter_level(rms: f64) -> f64 {
    const FLOOR_DB: f64 = -60.0;
    if rms <= 0.0 || !rms.is_finite() {
        return 0.0;
    }
    let db = 20.0 * rms.log10();
    ((db - FLOOR_DB) / -FLOOR_DB).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(id: &str, stat_type: &str) -> Stat {
        Stat {
            id: id.into(),
            stat_type: stat_type.into(),
            ..Stat::default()
        }
    }

    #[test]
    fn no_stats_yet_is_a_clean_line() {
        let q = quality(&[]);
        assert_eq!(q.loss_percent, 0.0);
        assert_eq!(q.rtt_ms, None);
        assert_eq!(q.bytes_received, 0.0);
    }

    #[test]
    fn loss_jitter_and_bytes_come_from_the_audio_received() {
        let stats = [
            Stat {
                packets_received: Some(95.0),
                packets_lost: Some(5.0),
                jitter: Some(0.004),
                bytes_received: Some(15_200.0),
                ..stat("IT01A", "inbound-rtp")
            },
            Stat {
                bytes_sent: Some(16_000.0),
                ..stat("OT01A", "outbound-rtp")
            },
        ];
        let q = quality(&stats);
        assert!((q.loss_percent - 5.0).abs() < 1e-9);
        assert!((q.jitter_ms - 4.0).abs() < 1e-9);
        assert_eq!(q.packets_received, 95.0);
        assert_eq!(q.bytes_received, 15_200.0);
        assert_eq!(q.bytes_sent, 16_000.0);
    }

    #[test]
    fn duplicates_do_not_make_loss_negative() {
        let stats = [Stat {
            packets_received: Some(10.0),
            packets_lost: Some(-2.0),
            ..stat("IT01A", "inbound-rtp")
        }];
        assert_eq!(quality(&stats).loss_percent, 0.0);
    }

    #[test]
    fn round_trip_prefers_rtcp_then_the_selected_pair() {
        let pairs = [
            Stat {
                current_round_trip_time: Some(0.5),
                state: Some("failed".into()),
                ..stat("CPa", "candidate-pair")
            },
            Stat {
                current_round_trip_time: Some(0.012),
                ..stat("CPb", "candidate-pair")
            },
            Stat {
                selected_candidate_pair_id: Some("CPb".into()),
                ..stat("T01", "transport")
            },
        ];
        assert_eq!(quality(&pairs).rtt_ms, Some(12.0));

        let mut with_rtcp = pairs.to_vec();
        with_rtcp.push(Stat {
            round_trip_time: Some(0.02),
            ..stat("RI01", "remote-inbound-rtp")
        });
        assert_eq!(quality(&with_rtcp).rtt_ms, Some(20.0));

        // No transport entry: the nominated pair that succeeded.
        let nominated = [
            Stat {
                current_round_trip_time: Some(0.5),
                ..stat("CPa", "candidate-pair")
            },
            Stat {
                current_round_trip_time: Some(0.003),
                nominated: Some(true),
                state: Some("succeeded".into()),
                ..stat("CPb", "candidate-pair")
            },
        ];
        assert_eq!(quality(&nominated).rtt_ms, Some(3.0));
    }

    #[test]
    fn silence_is_the_time_since_the_packet_count_last_grew() {
        let mut watch = SilenceWatch::default();
        assert_eq!(watch.read(0.0, 1_000.0), 0.0, "the first reading starts it");
        assert_eq!(watch.read(0.0, 1_500.0), 500.0, "nothing ever came");
        assert_eq!(watch.read(25.0, 2_000.0), 0.0);
        assert_eq!(watch.read(50.0, 2_500.0), 0.0);
        // The other side goes quiet.
        assert_eq!(watch.read(50.0, 3_000.0), 500.0);
        assert_eq!(watch.read(50.0, 6_500.0), 4_000.0);
        // And comes back.
        assert_eq!(watch.read(51.0, 7_000.0), 0.0);
    }

    #[test]
    fn rms_of_silence_and_of_a_tone() {
        assert_eq!(rms(&[]), 0.0);
        assert_eq!(rms(&[0.0; 128]), 0.0);
        let tone: Vec<f32> = (0..800)
            .map(|i| (i as f32 * std::f32::consts::TAU / 80.0).sin())
            .collect();
        assert!((rms(&tone) - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-3);
    }

    #[test]
    fn a_short_sound_between_readings_still_shows() {
        let mut samples = vec![0.0f32; 16_384];
        for s in &mut samples[5_120..5_600] {
            *s = 0.5;
        }
        assert!(
            (peak_rms(&samples, 1024) - 0.5 * 480.0_f64.sqrt() / 1024.0_f64.sqrt()).abs() < 1e-6
        );
        assert_eq!(peak_rms(&[0.0; 4096], 1024), 0.0);
        assert_eq!(peak_rms(&[], 1024), 0.0);
    }

    #[test]
    fn the_meter_reads_decibels() {
        assert_eq!(meter_level(0.0), 0.0);
        assert_eq!(meter_level(f64::NAN), 0.0);
        assert!(meter_level(0.001) < 1e-9); // −60 dBFS
        assert!((meter_level(0.1) - 2.0 / 3.0).abs() < 1e-9); // −20 dBFS
        assert_eq!(meter_level(1.0), 1.0);
        assert_eq!(meter_level(4.0), 1.0);
    }
}
