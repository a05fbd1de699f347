//! Telling a browser's STUN check apart from other datagrams on the one
//! media socket, and reading which leg it is for.

/// The USERNAME attribute of a STUN message (RFC 5389 15.3), if any.
pub(super) fn stun_username(bytes: &[u8]) -> Option<&str> {
    const USERNAME: u16 = 0x0006;
    let length = usize::from(u16::from_be_bytes([*bytes.get(2)?, *bytes.get(3)?]));
    let mut attributes = bytes.get(20..20 + length)?;
    while attributes.len() >= 4 {
        let kind = u16::from_be_bytes([attributes[0], attributes[1]]);
        let len = usize::from(u16::from_be_bytes([attributes[2], attributes[3]]));
        let value = attributes.get(4..4 + len)?;
        if kind == USERNAME {
            return std::str::from_utf8(value).ok();
        }
        // Values are padded to a multiple of four bytes.
        attributes = attributes.get((4 + len).div_ceil(4) * 4..)?;
    }
    None
}

/// A STUN message (RFC 5389): top two bits zero, the magic cookie at byte 4.
pub(super) fn looks_like_stun(bytes: &[u8]) -> bool {
    bytes.len() >= 20 && bytes[0] < 2 && bytes[4..8] == [0x21, 0x12, 0xA4, 0x42]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A STUN binding request with the given attributes (type, value).
    fn stun(attributes: &[(u16, &[u8])]) -> Vec<u8> {
        let mut body = Vec::new();
        for (kind, value) in attributes {
            body.extend_from_slice(&kind.to_be_bytes());
            body.extend_from_slice(&(value.len() as u16).to_be_bytes());
            body.extend_from_slice(value);
            body.resize(body.len().div_ceil(4) * 4, 0);
        }
        let mut packet = vec![0x00, 0x01];
        packet.extend_from_slice(&(body.len() as u16).to_be_bytes());
        packet.extend_from_slice(&[0x21, 0x12, 0xA4, 0x42]);
        packet.extend_from_slice(&[7; 12]);
        packet.extend_from_slice(&body);
        packet
    }

    #[test]
    fn a_stun_check_names_the_leg_it_is_for() {
        let packet = stun(&[
            (0x8022, b"soft"),
            (0x0006, b"ours1:theirs2"),
            (0x0008, &[0; 20]),
        ]);
        assert!(looks_like_stun(&packet));
        assert_eq!(stun_username(&packet), Some("ours1:theirs2"));
        assert_eq!(stun_username(&stun(&[(0x8022, b"odd")])), None);
    }

    #[test]
    fn hostile_stun_never_panics() {
        let packet = stun(&[(0x0006, b"ours:theirs")]);
        for len in 0..packet.len() {
            let _ = stun_username(&packet[..len]);
        }
        // An attribute claiming more than the message holds.
        let mut lying = stun(&[(0x0006, b"ab")]);
        lying[22] = 0xff;
        assert_eq!(stun_username(&lying), None);
        let mut long = stun(&[(0x0006, b"ab")]);
        long[2] = 0xff;
        assert_eq!(stun_username(&long), None);
    }
}
