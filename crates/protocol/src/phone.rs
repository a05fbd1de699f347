//! Phone numbers in E.164 (`+` and 8 to 15 digits).
//!
//! Carriers and CRMs hand numbers over in every shape ("(415) 555-0100",
//! "0044 20 7946 0000", "tel:+1-415-555-0100"). Routing compares numbers, so every
//! number is normalised once, at the edge, against a default country code for
//! numbers written in national form.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A phone number in E.164 form, e.g. `+14155550100`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

/// Why a string is not a usable phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneError {
    #[error("phone number is empty")]
    Empty,
    #[error(
        "phone number contains {0:?}; use digits, spaces, dashes, dots, parentheses and a leading +"
    )]
    InvalidCharacter(char),
    #[error(
        "phone number has {0} digits; E.164 numbers have 8 to 15 digits including the country code"
    )]
    WrongLength(usize),
    #[error("number must start with + and the country code, e.g. +14155550100")]
    NotInternational,
    #[error("country codes never start with 0")]
    LeadingZeroCountryCode,
}

const MIN_DIGITS: usize = 8;
const MAX_DIGITS: usize = 15;

impl PhoneNumber {
    /// Normalises `input`, reading a number without `+` or `00` as national to
    /// `default_country_code` (e.g. `1` for North America, `44` for the UK).
    pub fn parse(input: &str, default_country_code: u16) -> Result<Self, PhoneError> {
        let trimmed = input.trim();
        let trimmed = trimmed
            .strip_prefix("tel:")
            .or_else(|| trimmed.strip_prefix("sip:"))
            .unwrap_or(trimmed);
        // A SIP URI may carry "@host" or ";params" after the user part.
        let trimmed = trimmed.split(['@', ';']).next().unwrap_or_default();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }

        let mut digits = String::with_capacity(trimmed.len());
        let mut international = false;
        for (i, c) in trimmed.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => international = true,
                ' ' | '-' | '.' | '(' | ')' | '\u{a0}' => {}
                other => return Err(PhoneError::InvalidCharacter(other)),
            }
        }
        if digits.is_empty() {
            return Err(PhoneError::Empty);
        }

        let full = if international {
            digits
        } else if let Some(rest) = digits.strip_prefix("00") {
            rest.to_owned()
        } else {
            let cc = default_country_code.to_string();
            if default_country_code == 1 && digits.len() == 11 && digits.starts_with('1') {
                // North American numbers are often written with the country code
                // but without the '+': "1 415 555 0100".
                digits
            } else {
                // Drop one national trunk prefix ("020 7946 0000" in the UK).
                let national = digits.strip_prefix('0').unwrap_or(&digits);
                format!("{cc}{national}")
            }
        };

        if full.starts_with('0') {
            return Err(PhoneError::LeadingZeroCountryCode);
        }
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&full.len()) {
            return Err(PhoneError::WrongLength(full.len()));
        }
        Ok(Self(format!("+{full}")))
    }

    /// Accepts only a number already in E.164 form.
    pub fn parse_e164(input: &str) -> Result<Self, PhoneError> {
        let trimmed = input.trim();
        match trimmed.chars().next() {
            None => Err(PhoneError::Empty),
            Some('+') => Self::parse(trimmed, 1),
            Some(_) => Err(PhoneError::NotInternational),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = PhoneError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse_e164(&value)
    }
}

impl From<PhoneNumber> for String {
    fn from(value: PhoneNumber) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(input: &str) -> Result<String, PhoneError> {
        PhoneNumber::parse(input, 1).map(|n| n.0)
    }

    #[test]
    fn normalises_common_north_american_forms() {
        for input in [
            "+1 (415) 555-0100",
            "415-555-0100",
            "(415) 555.0100",
            "1 415 555 0100",
            "001 415 555 0100",
            "tel:+1-415-555-0100",
            "sip:+14155550100@carrier.example;user=phone",
        ] {
            assert_eq!(us(input).as_deref(), Ok("+14155550100"), "input {input:?}");
        }
    }

    #[test]
    fn national_numbers_drop_their_trunk_prefix() {
        let uk = PhoneNumber::parse("020 7946 0000", 44).map(|n| n.0);
        assert_eq!(uk.as_deref(), Ok("+442079460000"));
        assert_eq!(
            PhoneNumber::parse("+44 20 7946 0000", 1)
                .map(|n| n.0)
                .as_deref(),
            Ok("+442079460000")
        );
    }

    #[test]
    fn rejects_what_is_not_a_number() {
        assert_eq!(us(""), Err(PhoneError::Empty));
        assert_eq!(us("  "), Err(PhoneError::Empty));
        assert_eq!(us("call me"), Err(PhoneError::InvalidCharacter('c')));
        assert_eq!(
            us("+1 415 555 0100 ext 3"),
            Err(PhoneError::InvalidCharacter('e'))
        );
        assert_eq!(us("12+34"), Err(PhoneError::InvalidCharacter('+')));
        assert_eq!(us("+123"), Err(PhoneError::WrongLength(3)));
        assert_eq!(us("+1234567890123456"), Err(PhoneError::WrongLength(16)));
        assert_eq!(us("+0123456789"), Err(PhoneError::LeadingZeroCountryCode));
    }

    #[test]
    fn e164_only_parsing_requires_the_plus() {
        assert!(PhoneNumber::parse_e164("+14155550100").is_ok());
        assert!(PhoneNumber::parse_e164("4155550100").is_err());
        assert_eq!(PhoneNumber::parse_e164(""), Err(PhoneError::Empty));
    }

    #[test]
    fn serde_refuses_a_non_e164_string() {
        let ok: Result<PhoneNumber, _> = serde_json::from_str("\"+14155550100\"");
        assert!(ok.is_ok());
        let bad: Result<PhoneNumber, _> = serde_json::from_str("\"415 555\"");
        assert!(bad.is_err());
    }
}
