//! Phone numbers as people write them, read in the team's region.
//!
//! libphonenumber's metadata (the `phonenumber` crate) knows each region's
//! trunk prefix (0 in the UK, France and Germany, 8 in Russia, 06 in Hungary,
//! none in Italy, where the 0 is part of the number) and international prefix
//! (00, 011 from North America). The crate lives in the server only: the
//! extension never parses a number (it gets E.164 from the server), and the
//! metadata would cost megabytes of wasm.
//!
//! Around the crate: `tel:`/`sip:` URIs are unwrapped, only digits and the
//! usual punctuation are accepted (an extension like "ext 3" is refused rather
//! than dropped), "00" always starts an international number, and the "(0)"
//! people write after a country code ("+44 (0)20 7946 0958") is dropped, which
//! the crate does not do.

use phonenumber::country::Id;
use phonenumber::metadata::DATABASE;
use protocol::{PhoneNumber, TeamId};
use std::str::FromStr;
use store::{Store, StoreError};

/// The region numbers are read in when a team has not chosen one.
pub const DEFAULT_REGION: &str = "US";

/// A region (ISO 3166 country code, e.g. "GB") libphonenumber has a plan for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    id: Id,
    /// The code as the metadata spells it (lives as long as the program).
    code: &'static str,
}

/// Why a string is not a usable phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("phone number is empty")]
    Empty,
    #[error(
        "phone number contains {0:?}; use digits, spaces, dashes, dots, parentheses and a leading +"
    )]
    InvalidCharacter(char),
    #[error(
        "phone number has {0} digits; with the country code a number has 8 to 15 (write + and the country code for a number from another country)"
    )]
    WrongLength(usize),
    #[error("{0:?} is not a phone number in {1} or with a country code")]
    NotANumber(String, &'static str),
}

impl Region {
    /// `code` is an ISO 3166 alpha-2 code, any case; `None` for one without a
    /// numbering plan.
    pub fn from_code(code: &str) -> Option<Self> {
        let code = code.trim().to_ascii_uppercase();
        let id = Id::from_str(&code).ok()?;
        let metadata: &'static phonenumber::Metadata = DATABASE.by_id(id.as_ref())?;
        Some(Self {
            id,
            code: metadata.id(),
        })
    }

    /// The main region of a calling code (44 → GB, 1 → US), for teams that
    /// only have the code.
    pub fn for_calling_code(code: u16) -> Option<Self> {
        let regions = DATABASE.region(&code)?;
        regions.first().and_then(|r| Self::from_code(r))
    }

    pub fn code(self) -> &'static str {
        self.code
    }

    /// The region's calling code (GB → 44).
    pub fn calling_code(self) -> u16 {
        DATABASE
            .by_id(self.code)
            .map_or(1, phonenumber::Metadata::country_code)
    }

    /// Every region with a numbering plan, by code.
    pub fn all() -> Vec<Self> {
        let mut all: Vec<Self> = DATABASE
            .iter()
            .filter_map(|m| Self::from_code(m.id()))
            .collect();
        all.sort_by_key(|r| r.code());
        all.dedup();
        all
    }
}

impl Default for Region {
    fn default() -> Self {
        Self {
            id: Id::US,
            code: DEFAULT_REGION,
        }
    }
}

/// The region a team's national numbers are read in, from what the store
/// keeps of it.
pub async fn team_region(store: &Store, team: TeamId) -> Result<Region, StoreError> {
    let stored = store.team_region(team).await?;
    if let Some(code) = stored.region {
        return Region::from_code(&code).ok_or(StoreError::Corrupt {
            column: "teams.default_region",
            value: code,
        });
    }
    u16::try_from(stored.calling_code)
        .ok()
        .and_then(Region::for_calling_code)
        .ok_or(StoreError::Corrupt {
            column: "teams.default_country_code",
            value: stored.calling_code.to_string(),
        })
}

/// Sets the team's region (and its calling code with it).
pub async fn set_team_region(
    store: &Store,
    team: TeamId,
    region: Region,
) -> Result<(), StoreError> {
    store
        .set_team_region(team, region.code(), region.calling_code())
        .await
}

/// Normalises `input` to E.164, reading a number without a country code as
/// one of `region`.
pub fn parse(input: &str, region: Region) -> Result<PhoneNumber, PhoneError> {
    let trimmed = input.trim();
    let trimmed = trimmed
        .strip_prefix("tel:")
        .or_else(|| trimmed.strip_prefix("sip:"))
        .unwrap_or(trimmed);
    // A SIP URI may carry "@host" or ";params" after the user part.
    let trimmed = trimmed.split(['@', ';']).next().unwrap_or_default().trim();
    let mut digits = String::with_capacity(trimmed.len());
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => {}
            ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' => {}
            other => return Err(PhoneError::InvalidCharacter(other)),
        }
    }
    if digits.is_empty() {
        return Err(PhoneError::Empty);
    }
    // 00 is the international prefix nearly everywhere (North America's 011
    // is in the metadata).
    let international = trimmed.starts_with('+') || digits.starts_with("00");
    let text = if international {
        // "+44 (0)20 …": the trunk prefix written out of habit.
        let body: String = trimmed
            .replacen("(0)", "", 1)
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let body = if trimmed.starts_with('+') {
            body.as_str()
        } else {
            body.strip_prefix("00").unwrap_or(&body)
        };
        format!("+{body}")
    } else {
        digits
    };
    let digit_count = text.chars().filter(char::is_ascii_digit).count();
    // An international number is parsed without the region: given one, the
    // crate (0.3.10) strips that region's national prefix from the foreign
    // number ("+33 1 42 68 53 00" read in the US lost its 1).
    let parsed = phonenumber::parse((!international).then_some(region.id), &text)
        .map_err(|_| not_a_number(input, region, digit_count))?;
    let e164 = parsed.format().mode(phonenumber::Mode::E164).to_string();
    let length = e164.len().saturating_sub(1);
    if !(8..=15).contains(&length) {
        return Err(PhoneError::WrongLength(length));
    }
    PhoneNumber::parse_e164(&e164).map_err(|_| not_a_number(input, region, digit_count))
}

fn not_a_number(input: &str, region: Region, digits: usize) -> PhoneError {
    if !(4..=17).contains(&digits) {
        PhoneError::WrongLength(digits)
    } else {
        PhoneError::NotANumber(input.trim().to_owned(), region.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(input: &str, region: &str) -> Result<String, PhoneError> {
        let region = Region::from_code(region).expect("region");
        parse(input, region).map(|n| n.to_string())
    }

    #[test]
    fn uk_numbers_drop_the_trunk_zero() {
        for input in [
            "+44 (0)20 7946 0958",
            "+44 20 7946 0958",
            "0044 20 7946 0958",
            "+44(0)2079460958",
        ] {
            assert_eq!(read(input, "US").as_deref(), Ok("+442079460958"), "{input}");
        }
        assert_eq!(read("020 7946 0958", "GB").as_deref(), Ok("+442079460958"));
        assert_eq!(read("07700 900123", "gb").as_deref(), Ok("+447700900123"));
    }

    #[test]
    fn france_and_germany() {
        assert_eq!(
            read("+33 1 42 68 53 00", "US").as_deref(),
            Ok("+33142685300")
        );
        assert_eq!(
            read("+33 (0)1 42 68 53 00", "DE").as_deref(),
            Ok("+33142685300")
        );
        assert_eq!(read("01 42 68 53 00", "FR").as_deref(), Ok("+33142685300"));
        assert_eq!(read("+49 30 901820", "US").as_deref(), Ok("+4930901820"));
        assert_eq!(read("030 901820", "DE").as_deref(), Ok("+4930901820"));
        assert_eq!(read("030/901820", "DE").as_deref(), Ok("+4930901820"));
    }

    #[test]
    fn north_america() {
        for input in [
            "+1 (415) 555-0100",
            "415-555-0100",
            "(415) 555.0100",
            "1 415 555 0100",
            "001 415 555 0100",
            "tel:+1-415-555-0100",
            "sip:+14155550100@carrier.example;user=phone",
        ] {
            assert_eq!(read(input, "US").as_deref(), Ok("+14155550100"), "{input}");
        }
        // From the US, 011 dials abroad.
        assert_eq!(
            read("011 44 20 7946 0958", "US").as_deref(),
            Ok("+442079460958")
        );
    }

    #[test]
    fn national_numbers_are_read_in_the_teams_region() {
        // The same digits are a different number in each region.
        assert_eq!(read("030 901820", "DE").as_deref(), Ok("+4930901820"));
        assert_eq!(
            read("06 6982 1234", "IT").as_deref(),
            Ok("+390669821234"),
            "Italy keeps its 0"
        );
        assert_eq!(read("0 20 7946 0958", "GB").as_deref(), Ok("+442079460958"));
        assert_eq!(
            read("8 495 123 45 67", "RU").as_deref(),
            Ok("+74951234567"),
            "Russia's trunk prefix is 8"
        );
    }

    #[test]
    fn garbage_is_refused() {
        assert_eq!(read("", "US"), Err(PhoneError::Empty));
        assert_eq!(read("  ", "GB"), Err(PhoneError::Empty));
        assert_eq!(
            read("call me", "US"),
            Err(PhoneError::InvalidCharacter('c'))
        );
        assert_eq!(
            read("+1 415 555 0100 ext 3", "US"),
            Err(PhoneError::InvalidCharacter('e'))
        );
        assert_eq!(read("12+34", "US"), Err(PhoneError::InvalidCharacter('+')));
        assert!(read("+123", "US").is_err());
        assert!(read("+1234567890123456", "US").is_err());
        assert!(read("12", "FR").is_err());
    }

    #[test]
    fn regions() {
        assert_eq!(Region::from_code("gb").map(Region::calling_code), Some(44));
        assert_eq!(Region::for_calling_code(44).map(Region::code), Some("GB"));
        assert_eq!(Region::for_calling_code(1).map(Region::code), Some("US"));
        assert_eq!(Region::from_code("XX"), None);
        assert!(Region::all().len() > 200);
    }
}
