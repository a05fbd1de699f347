//! G.711 µ-law (PCMU), the telephone codec every carrier and browser speaks:
//! one byte per 16-bit sample at 8 kHz, so 160 bytes carry 20 ms.

/// Added before the logarithmic segment search so the smallest segment is as
/// wide as the others (ITU-T G.711).
const BIAS: i32 = 0x84;
/// Largest magnitude that still fits once biased.
const CLIP: i32 = 32_635;

/// Encodes one linear sample.
pub fn encode(sample: i16) -> u8 {
    let mut magnitude = i32::from(sample);
    let sign = if magnitude < 0 {
        magnitude = -magnitude;
        0x80
    } else {
        0
    };
    let biased = magnitude.min(CLIP) + BIAS;
    // The segment is the position of the highest set bit above bit 7.
    let highest_bit = 31 - biased.leading_zeros() as i32;
    let exponent = (highest_bit - 7).clamp(0, 7);
    let mantissa = (biased >> (exponent + 3)) & 0x0F;
    // G.711 transmits every bit inverted.
    !(sign | (exponent << 4) as u8 | mantissa as u8)
}

/// Decodes one byte to a linear sample.
pub fn decode(byte: u8) -> i16 {
    let byte = !byte;
    let exponent = i32::from((byte >> 4) & 0x07);
    let mantissa = i32::from(byte & 0x0F);
    let magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
    let value = if byte & 0x80 != 0 {
        -magnitude
    } else {
        magnitude
    };
    // In range by construction: the largest magnitude is 32,124.
    value as i16
}

/// Encodes a frame of samples.
pub fn encode_frame(samples: &[i16]) -> Vec<u8> {
    samples.iter().map(|&s| encode(s)).collect()
}

/// Decodes a frame of PCMU bytes into `out` (cleared first).
pub fn decode_frame(bytes: &[u8], out: &mut Vec<i16>) {
    out.clear();
    out.extend(bytes.iter().map(|&b| decode(b)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_is_0xff_and_back() {
        assert_eq!(encode(0), 0xFF);
        assert_eq!(decode(0xFF), 0);
        assert_eq!(decode(0x7F), 0);
    }

    #[test]
    fn round_trip_error_stays_within_the_segment_step() {
        for sample in (i16::MIN..=i16::MAX).step_by(7) {
            let back = decode(encode(sample));
            let error = (i32::from(sample) - i32::from(back)).abs();
            // The quantisation step doubles per segment; the top one is 1,024 wide.
            let allowed = (i32::from(sample).abs() / 16).max(8) + 16;
            assert!(
                error <= allowed,
                "{sample} came back as {back} (error {error}, allowed {allowed})"
            );
        }
    }

    #[test]
    fn known_values_match_the_itu_table() {
        // Values from the G.711 reference encoder.
        assert_eq!(encode(1000), 0xCE);
        assert_eq!(encode(-1000), 0x4E);
        assert_eq!(encode(i16::MAX), 0x80);
        assert_eq!(encode(i16::MIN), 0x00);
        assert_eq!(decode(0x80), 32_124);
        assert_eq!(decode(0x00), -32_124);
    }

    #[test]
    fn every_byte_decodes_and_re_encodes_to_itself() {
        for byte in 0..=255u8 {
            let again = encode(decode(byte));
            // 0x7F and 0xFF are both zero; zero encodes as 0xFF.
            if byte == 0x7F {
                assert_eq!(again, 0xFF);
            } else {
                assert_eq!(again, byte, "byte {byte:#04x}");
            }
        }
    }
}
