//! WAV files made in the test, for greetings.

/// One second of a 1 kHz tone, as a rep's own greeting.
pub fn one_second_greeting() -> Vec<u8> {
    let samples: Vec<i16> = (0..8000)
        .map(|i| (6000.0 * (i as f64 * 2.0 * std::f64::consts::PI / 8.0).sin()) as i16)
        .collect();
    wav(&samples, 8000, 1)
}

/// 16-bit PCM samples as a WAV file.
pub fn wav(samples: &[i16], rate: u32, channels: u16) -> Vec<u8> {
    let mut bytes = Vec::new();
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer =
        hound::WavWriter::new(std::io::Cursor::new(&mut bytes), spec).expect("wav writer");
    for &s in samples {
        writer.write_sample(s).expect("sample");
    }
    writer.finalize().expect("finalize");
    bytes
}
